"""What a member add of 100 costs SQLite alone, by the indexes of the membership table.

    .venv/bin/python -m bench.index_floor [--members 100000] [--adds 300]

No app, no HTTP: each add is one transaction of 100 INSERTs and its COMMIT, into a
table already holding `--members` memberships of 20,000 users, on this machine's SQLite
in WAL mode with synchronous=NORMAL (as models/engine.py sets it). Three tables:

- `rollcall`: group_members as models/group.py declares it (its DDL is compiled from
  the model), with its unique (group, user) and (group, nested group) keys and the
  index on user_id that "the groups of a user" and the user's DELETE need;
- `rollcall without the user_id index`: the same without that index;
- `bare`: the bare stack's (group_id, user_id) table (bench/baseline.py).

A batch's user ids are random, so the user_id index takes each of the 100 rows on a page
of its own: the commit writes about a hundred more pages to the WAL than the others do.
"""

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateIndex
from sqlalchemy.schema import CreateTable

from models import GroupMember

USERS = 20_000
BARE = ("CREATE TABLE group_members (group_id VARCHAR(36) NOT NULL, "
        "user_id VARCHAR(36) NOT NULL, PRIMARY KEY (group_id, user_id))")


def rollcall_ddl(with_user_index: bool) -> list[str]:
    table = GroupMember.__table__
    ddl = [str(CreateTable(table).compile(dialect=sqlite.dialect()))]
    for index in table.indexes:
        if with_user_index or index.name != "ix_group_members_user_id":
            ddl.append(str(CreateIndex(index).compile(dialect=sqlite.dialect())))
    return ddl


def measure(ddl: list[str], members: int, adds: int, folder: Path) -> float:
    """Median milliseconds of one add of 100 (INSERTs and COMMIT)."""
    path = folder / f"{uuid.uuid4()}.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    for statement in ddl:
        db.execute(statement)
    rng = random.Random(1)
    users = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(USERS)]
    insert = "INSERT INTO group_members (group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
    db.execute("BEGIN")
    for _ in range(members // 500):
        group = str(uuid.uuid4())
        db.executemany(insert, [(group, u) for u in rng.sample(users, 500)])
    db.execute("COMMIT")
    times = []
    for _ in range(adds):
        rows = [(str(uuid.uuid4()), u) for u in rng.sample(users, 100)]
        rows = [(rows[0][0], u) for _, u in rows]  # one group, 100 users
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.executemany(insert, rows)
        db.execute("COMMIT")
        times.append(time.perf_counter() - start)
    db.close()
    return statistics.median(times) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--adds", type=int, default=300)
    args = parser.parse_args(argv)
    tables = {"rollcall": rollcall_ddl(True),
              "rollcall without the user_id index": rollcall_ddl(False),
              "bare": [BARE]}
    with tempfile.TemporaryDirectory() as folder:
        for _round in range(2):  # interleaved: this machine's speed drifts
            for name, ddl in tables.items():
                ms = measure(ddl, args.members, args.adds, Path(folder))
                print(f"{name:<36} {ms:6.2f} ms per add of 100 (median of {args.adds})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
