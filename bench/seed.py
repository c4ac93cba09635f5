"""Seed users straight into Rollcall's schema (and the baseline's table) with executemany.

Why not over HTTP: one POST /Users costs a few milliseconds, so 1,000,000 users would take
hours; /Bulk runs one transaction per operation and is itself under test. Here each batch
is one transaction of prepared rows, so 1,000,000 users take minutes. The rows are the
ones the service layer writes: the canonical document is checked against scim.resource,
the indexed columns come from services.users.store's own column map, and the child rows
of multi-valued attributes from user_store's own row builder. Seeded users get no change
records (they stand for an import that happened before the run).

Seeding is resumable: users are numbered, a batch commits whole, and a new call starts
after the highest number present.

    python -m bench.seed --database-url sqlite:///bench/results/x.sqlite --users 100000
"""

import argparse
import sys
import time
from datetime import datetime
from datetime import timedelta

from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from bench import payloads

BATCH = 5000
EPOCH = datetime(2026, 1, 1)
_DROPPED = ("schemas", "meta", "roles")  # what resource.load removes from Entra's POST body


def engine_for(url: str):
    """An engine tuned for bulk loading (bigger SQLite page cache; same WAL mode as the app)."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-524288",
                           "foreign_keys=ON"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()
    return engine


def canonical(i: int, kind: str = "user") -> dict:
    """The stored document of user `i`: Entra's POST body as scim.resource.load leaves it."""
    return {k: v for k, v in payloads.user(i, kind).items() if k not in _DROPPED}


class _Mapper:
    """Turns a canonical document into users/user_values rows, as services.users does."""

    def __init__(self):
        from scim import schema
        from services.users import store as user_store

        self.store = user_store
        self.rtype = schema.user_type()
        self.keys = [((u, n) if u else (n,), user_store.row_key(u, n))
                     for u, n in user_store.multi_valued(self.rtype)]

    def user(self, i: int, kind: str, data: dict) -> dict:
        at = EPOCH + timedelta(milliseconds=i)
        row = self.store.columns(data)  # user_name_key included: lookups find the user
        row.update(id=payloads.user_id(i, kind), seat_waiting=False, hidden=False, data=data,
                   version=1, created=at, last_modified=at)
        return row

    def values(self, user_id: str, data: dict) -> list[dict]:
        rows = []
        for path, key in self.keys:
            rows += self.store._rows(user_id, key, self.store._get(data, path) or [])
        return rows

    def check(self, i: int, kind: str) -> None:
        """Fail loudly if the seeded rows drift from what the service layer would write."""
        from models import User
        from scim import resource

        data = canonical(i, kind)
        loaded, _ = resource.load(payloads.user(i, kind), self.rtype)
        assert loaded == data, "seed document differs from scim.resource.load's"
        probe = User(id=payloads.user_id(i, kind))
        self.store.sync_columns(probe, data)
        row = self.user(i, kind, data)
        for column in self.store.columns(data):
            assert getattr(probe, column) == row[column], f"seed column {column} differs"
        mine = self.values(probe.id, data)
        theirs = []
        for urn, name in self.store.multi_valued(self.rtype):
            entries = self.store._get(data, (urn, name) if urn else (name,)) or []
            theirs += self.store._rows(probe.id, self.store.row_key(urn, name), entries)
        assert mine == theirs, "seed child rows differ from user_store's"


def seeded(engine, kind: str = "user") -> int:
    """How many users of this kind are there (they are numbered 0..n-1, batches commit whole)."""
    from models import User

    with engine.connect() as conn:
        top = conn.execute(select(func.max(User.external_id)).where(
            User.external_id >= kind, User.external_id < kind + "~",
            User.external_id.like(f"{kind}%"))).scalar()
    return 0 if top is None else int(top[len(kind):]) + 1


def seed_users(url: str, total: int, kind: str = "user", progress=print) -> int:
    """Make users 0..total-1 of `kind` exist; returns how many were inserted now."""
    from models import User
    from models import UserValue

    engine = engine_for(url)
    mapper = _Mapper()
    start = seeded(engine, kind)
    if start >= total:
        engine.dispose()
        return 0
    mapper.check(start, kind)
    began = time.perf_counter()
    for first in range(start, total, BATCH):
        users, values = [], []
        for i in range(first, min(first + BATCH, total)):
            data = canonical(i, kind)
            row = mapper.user(i, kind, data)
            users.append(row)
            values += mapper.values(row["id"], data)
        with engine.begin() as conn:
            conn.execute(insert(User.__table__), users)
            conn.execute(insert(UserValue.__table__), values)
        done = first + len(users)
        if progress and (done // BATCH) % 20 == 0 or done == total:
            rate = (done - start) / (time.perf_counter() - began)
            progress(f"  seeded {done:,}/{total:,} {kind} users ({rate:,.0f}/s)")
    analyze(engine)
    engine.dispose()
    return total - start


def seed_baseline(url: str, total: int, progress=print) -> int:
    """Make rows 0..total-1 exist in the baseline's table (created if missing)."""
    from bench.baseline import BaselineUser

    engine = engine_for(url)
    BaselineUser.metadata.create_all(engine)
    with engine.connect() as conn:
        start = (conn.execute(select(func.max(BaselineUser.seq))).scalar() or 0)
    began = time.perf_counter()
    for first in range(start, total, BATCH):
        rows = []
        for i in range(first, min(first + BATCH, total)):
            data = canonical(i)
            rows.append({"seq": i + 1, "id": payloads.user_id(i), "user_name": data["userName"],
                         "title": data["title"], "department": "Sales", "data": data,
                         "created": EPOCH + timedelta(milliseconds=i)})
        with engine.begin() as conn:
            conn.execute(insert(BaselineUser.__table__), rows)
    if engine.dialect.name == "postgresql":  # seq was given: move its sequence past it
        with engine.begin() as conn:
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('bench_baseline', 'seq'),"
                                 " (SELECT coalesce(max(seq), 1) FROM bench_baseline))")
    if total > start and progress:
        rate = (total - start) / (time.perf_counter() - began)
        progress(f"  seeded {total:,} baseline rows ({rate:,.0f}/s)")
    analyze(engine)
    engine.dispose()
    return max(0, total - start)


def analyze(engine) -> None:
    """Refresh planner statistics, as autovacuum (PostgreSQL) or an operator would.

    On PostgreSQL also VACUUM, as autovacuum does: until the visibility map is set, an
    index-only scan (a page's ids, a count) visits the table after all.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        return
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="Rollcall's database (migrated)")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--kind", default="user", help="name prefix: user, spare, ...")
    parser.add_argument("--baseline-url", help="also seed the baseline table there")
    args = parser.parse_args(argv)
    seed_users(args.database_url, args.users, args.kind)
    if args.baseline_url:
        seed_baseline(args.baseline_url, args.users)
    return 0


if __name__ == "__main__":
    sys.exit(main())
