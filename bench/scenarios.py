"""The requests of each measured case, as (method, path, body) tuples.

Seeded users 0..N-1 are split so that cases do not disturb each other: lookups, reads and
PATCH replace pick from the first half, deactivation takes each user of the second half
once (a repeated deactivation would be a no-op and flatter the figure), and single
member adds use the spare users. Creates and /Bulk make new users with fresh numbers.
"""

import random
from urllib.parse import quote

from bench import payloads
from bench.payloads import compact

SCIM = "/scim/v2"
SAMPLE = 5000  # distinct requests for read cases (each thread cycles through its share)


def _eq(attr: str, value: str) -> str:
    return quote(f'{attr} eq "{value}"', safe="")


class Plan:
    """Hands out users and fresh numbers to the cases of one run."""

    def __init__(self, users: int, spares: int, seed: int = 6):
        self.users, self.spares = users, spares
        self.rnd = random.Random(seed)
        half = users // 2
        self.readable = range(0, max(1, half))
        deactivate = list(range(half, users))
        self.rnd.shuffle(deactivate)
        self.to_deactivate = iter(deactivate)
        self.spare = iter(range(spares))
        # The baseline deactivates the same users in its own table, in its own order.
        self.base_to_deactivate = iter(deactivate[::-1])
        self.seq = 0

    def fresh(self, count: int = 1) -> int:
        first = self.seq
        self.seq += count
        return first

    def sample(self, k: int = SAMPLE) -> list[int]:
        return [self.rnd.choice(self.readable) for _ in range(k)]

    # Rollcall ---------------------------------------------------------------------------

    def lookups(self, _n=None) -> list:
        """Entra's matching query (Get User by query): GET /Users?filter=userName eq "…"."""
        return [("GET", f"{SCIM}/Users?filter={_eq('userName', payloads.user_name(i))}", None)
                for i in self.sample()]

    def gets(self, _n=None) -> list:
        return [("GET", f"{SCIM}/Users/{payloads.user_id(i)}", None) for i in self.sample()]

    def creates(self, n: int) -> list:
        first = self.fresh(n)
        return [("POST", f"{SCIM}/Users", compact(payloads.user(first + k, "new")))
                for k in range(n)]

    def patches(self, n: int) -> list:
        first = self.fresh(n)
        return [("PATCH", f"{SCIM}/Users/{payloads.user_id(i)}",
                 compact(payloads.patch_title_department(first + k)))
                for k, i in enumerate(self.sample(n))]

    def deactivations(self, n: int) -> list:
        body = compact(payloads.patch_deactivate())
        ids = [i for _, i in zip(range(n), self.to_deactivate, strict=False)]
        return [("PATCH", f"{SCIM}/Users/{payloads.user_id(i)}", body) for i in ids]

    def pages(self, start: int, window: int = 100):
        """count=100 pages walking `window` consecutive pages from startIndex `start`."""
        def make(_n=None):
            return [("GET", f"{SCIM}/Users?startIndex={start + 100 * k}&count=100", None)
                    for k in range(window)]
        return make

    def cursor_pages(self, cursors: list[str]):
        """count=100 cursor pages (RFC 9865) from the cursors collected near one position."""
        def make(_n=None):
            return [("GET", f"{SCIM}/Users?cursor={cursor}&count=100", None)
                    for cursor in cursors]
        return make

    def group_reads(self, names: list[str]):
        def make(_n=None):
            return [("GET", f"{SCIM}/Groups?filter={_eq('displayName', name)}"
                     "&excludedAttributes=members", None) for name in names]
        return make

    def member_adds(self, group_id: str):
        """Add one spare user per request to `group_id` (each spare once)."""
        def make(n: int):
            spares = [i for _, i in zip(range(n), self.spare, strict=False)]
            return [("PATCH", f"{SCIM}/Groups/{group_id}",
                     compact(payloads.add_members([payloads.user_id(i, "spare")])))
                    for i in spares]
        return make

    def member_batches(self, groups: list[str], path: str):
        """Add 100 seeded users per request (Entra's batch), each (group, batch) pair once.

        `path` formats a group id into the request's path; the body is Rollcall's PatchOp
        for a SCIM path and the baseline's id list otherwise.
        """
        batches = ((g, b) for b in range(max(1, self.users // 100)) for g in groups)

        def make(n: int):
            out = []
            for group, batch in (x for _, x in zip(range(n), batches, strict=False)):
                ids = [payloads.user_id(i) for i in range(batch * 100,
                                                          min(self.users, batch * 100 + 100))]
                body = (payloads.add_members(ids) if path.startswith(SCIM)
                        else {"members": ids})
                out.append(("PATCH", path.format(group), compact(body)))
            return out
        return make

    def bulks(self, n: int, size: int = 50) -> list:
        first = self.fresh(n * size)
        return [("POST", f"{SCIM}/Bulk", compact(payloads.bulk_users(first + k * size, size)))
                for k in range(n)]

    # Baseline ---------------------------------------------------------------------------

    def trivial(self, _n=None) -> list:
        return [("GET", "/trivial", None)]

    def selects(self, _n=None) -> list:
        return [("GET", f"/select?userName={quote(payloads.user_name(i))}", None)
                for i in self.sample()]

    def updates(self, n: int) -> list:
        first = self.fresh(n)
        return [("PATCH", f"/users/{payloads.user_id(i)}",
                 compact({"title": f"Title {first + k}", "department": f"Dept {first + k}"}))
                for k, i in enumerate(self.sample(n))]

    def base_creates(self, n: int) -> list:
        first = self.fresh(n)
        return [("POST", "/users", compact(payloads.user(first + k, "base")))
                for k in range(n)]

    def base_deactivations(self, n: int) -> list:
        body = compact({"active": False})
        ids = [i for _, i in zip(range(n), self.base_to_deactivate, strict=False)]
        return [("PATCH", f"/users/{payloads.user_id(i)}", body) for i in ids]

    def base_pages(self, start: int, window: int = 100):
        def make(_n=None):
            return [("GET", f"/page?after={start - 1 + 100 * k}", None) for k in range(window)]
        return make
