"""Group set-up and the member-add growth sequence (batches of 100, per-request timings)."""

import json
import time

from bench import client
from bench import payloads
from bench.payloads import compact
from bench.scenarios import SCIM

BATCH = 100


def create_group(base_url: str, token: str, name: str, member_ids: list[str]) -> str:
    """POST the group, then add its members as Entra does: PATCH add in batches of 100."""
    conn = client.Connection(base_url, token)
    status, body = conn.send("POST", f"{SCIM}/Groups", compact(payloads.group(name)))
    if status != 201:
        raise RuntimeError(f"POST /Groups answered {status}: {body[:300]!r}")
    group_id = json.loads(body)["id"]
    for start in range(0, len(member_ids), BATCH):
        status, body = conn.send("PATCH", f"{SCIM}/Groups/{group_id}",
                                 compact(payloads.add_members(member_ids[start:start + BATCH])))
        if status >= 300:
            raise RuntimeError(f"PATCH /Groups answered {status}: {body[:300]!r}")
    conn.close()
    return group_id


def grow(base_url: str, token: str, name: str, members: int, concurrency: int,
         bands: int = 10) -> dict:
    """Create a group and add `members` seeded users in batches of 100; cost by group size."""
    group_id = create_group(base_url, token, name, [])
    requests = [("PATCH", f"{SCIM}/Groups/{group_id}", compact(payloads.add_members(
        [payloads.user_id(i) for i in range(start, min(start + BATCH, members))])))
        for start in range(0, members, BATCH)]
    began = time.perf_counter()
    timings = client.sequence(base_url, token, requests, concurrency)
    elapsed = time.perf_counter() - began
    bad = [t for t in timings if t[2] >= 300]
    latencies = sorted(t[1] for t in timings)
    stats = client.summarize(latencies, elapsed)
    stats.update(group_id=group_id, members=members, concurrency=concurrency,
                 members_per_s=members / elapsed, bad_status=len(bad),
                 sample=bad[0][3].decode(errors="replace") if bad else "")
    per_band = max(1, len(requests) // bands)
    stats["bands"] = []
    ordered = sorted(timings)  # by request index: index k takes the group to (k+1)*100
    for first in range(0, len(ordered), per_band):
        part = ordered[first:first + per_band]
        lat = sorted(t[1] for t in part)
        stats["bands"].append({
            "from_members": first * BATCH, "to_members": min(members, (first + len(part)) * BATCH),
            "p50_ms": lat[len(lat) // 2] * 1000, "p99_ms": lat[min(len(lat) - 1,
                                                                  int(0.99 * len(lat)))] * 1000,
            "mean_ms": sum(lat) / len(lat) * 1000})
    return stats
