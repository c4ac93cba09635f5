"""CPU per write request in one process (Flask's test client), for A/B work on a shared machine.

    .venv/bin/python -m bench.inproc [--database-url URL] [--users 5000] [--n 400] [--rounds 3]

The process's CPU time (every thread: the request log's writer and the outbox's too,
whose queues are drained inside the timing) and wall time (at c=1, with the database's
own work and waits) per request of each write case, median of the rounds, and the
statements sent and pool checkouts made per request. CPU time is what other jobs on
the machine disturb least; it still moves a few per cent with cache pressure, so compare
runs made back to back. `--profile CASE` prints a cProfile of that case instead.
"""

import argparse
import cProfile
import itertools
import json
import os
import pstats
import statistics
import sys
import tempfile
import time

from sqlalchemy import event

from bench import database
from bench import payloads
from bench import seed
from bench.payloads import compact
from bench.scenarios import SCIM
from bench.scenarios import Plan

CASES = ("create", "patch_replace", "deactivate", "member_add_1", "member_add_100", "lookup")


def make_requests(plan: Plan, case: str, n: int, groups: list[str]) -> list:
    if case == "create":
        return plan.creates(n)
    if case == "patch_replace":
        return plan.patches(n)
    if case == "deactivate":
        return plan.deactivations(n)
    if case == "member_add_1":
        return _single_adds(plan, n, groups)
    if case == "lookup":  # Entra's matching query, for the reads' share of a write's costs
        return list(itertools.islice(itertools.cycle(plan.lookups()), n))
    if plan not in _BATCHES:  # one sequence of (group, batch) pairs: each added once
        _BATCHES[plan] = plan.member_batches(groups, f"{SCIM}/Groups/{{}}")
    return _BATCHES[plan](n)


_BATCHES: dict = {}


def _single_adds(plan: Plan, n: int, groups: list[str]) -> list:
    """One seeded user per request into one of the groups, each pair once (Entra's usual add).

    Users from the last down, so they are not the batches' (from the first up).
    """
    return [("PATCH", f"{SCIM}/Groups/{groups[k % len(groups)]}",
             compact(payloads.add_members([payloads.user_id(plan.users - 1 - k // len(groups))])))
            for k in itertools.islice(_PAIRS, n)]


_PAIRS = itertools.count()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url")
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--profile", help="cProfile this case (one round) and print the top")
    p.add_argument("--dump", metavar="FILE", help="with --profile: also write the pstats "
                   "there (for `python -m pstats FILE`: callers, callees)")
    p.add_argument("--config", default="{}", help="app configuration as JSON, e.g. "
                   '\'{"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": false}}\'')
    p.add_argument("--calls", action="store_true",
                   help="also count Python function calls per request (cProfile's total, the "
                   "request thread only): unlike CPU time, unmoved by other jobs")
    p.add_argument("--show-sql", help="print the statements of one request of this case")
    args = p.parse_args(argv)
    out_dir = tempfile.mkdtemp(prefix="rollcall-inproc-")
    url, _ = database.prepare(args.database_url, out_dir)
    seed.seed_users(url, args.users, progress=lambda _line: None)
    token = database.issue_token(url, "inproc")
    os.environ["DATABASE_URL"] = url
    os.environ["SCIM_RATE_LIMIT"] = "1000000/second"
    from app import create_app
    from models import db

    app = create_app(json.loads(args.config))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    statements, checkouts, shown = [0], [0], []

    def count(_conn, _cursor, sql, *_args):
        statements[0] += 1
        if args.show_sql:
            shown.append(f"[{len(sql)} chars] " + " ".join(sql.split())[:120])

    def checkout(*_args):
        checkouts[0] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        event.listen(db.engine, "checkout", checkout)
    groups = []
    for k in range(40):
        r = client.post(f"{SCIM}/Groups", json=payloads.group(f"inproc-{k}"), headers=headers)
        groups.append(r.get_json()["id"])
    rounds = max(1, args.rounds // 2) * 2 if not args.profile else 1
    plan = Plan(args.users, 0)
    writer = app.extensions["rollcall_request_log"]
    if args.show_sql:
        _run(client, headers, make_requests(plan, args.show_sql, 5, groups), writer)
        writer.flush()
        shown.clear()
        _run(client, headers, make_requests(plan, args.show_sql, 1, groups), writer)
        print("\n".join(shown))
        return 0
    cases = [args.profile] if args.profile else args.cases.split(",")
    results, per, walls, calls = {c: [] for c in cases}, {}, {c: [] for c in cases}, {}
    pool = {}
    for case in cases:
        _run(client, headers, make_requests(plan, case, 50, groups), writer)  # warm
    for _ in range(rounds):
        for case in cases:
            reqs = make_requests(plan, case, args.n, groups)
            profiler = cProfile.Profile() if args.profile or args.calls else None
            statements[0] = checkouts[0] = 0
            began, wall = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            _run(client, headers, reqs, writer)
            if profiler:
                profiler.disable()
            results[case].append((time.process_time() - began) * 1000 / len(reqs))
            walls[case].append((time.perf_counter() - wall) * 1000 / len(reqs))
            per[case] = statements[0] / len(reqs)
            pool[case] = checkouts[0] / len(reqs)
            if profiler:
                stats = pstats.Stats(profiler).sort_stats("cumulative")
                calls.setdefault(case, []).append(stats.total_calls / len(reqs))
                if args.profile:
                    stats.print_stats(70)
                    if args.dump:
                        stats.dump_stats(args.dump)
    print(f"load {os.getloadavg()[0]:.2f}; {database.describe(url)}; {args.n} requests x "
          f"{rounds} rounds")
    for case, values in results.items():
        rounds_text = ", ".join(f"{v:.2f}" for v in values)
        print(f"{case:16} CPU ms/request median {statistics.median(values):.2f} "
              f"(rounds: {rounds_text}); wall ms/request {statistics.median(walls[case]):.2f}; "
              f"statements/request {per[case]:.1f}; checkouts/request {pool[case]:.1f}"
              + (f"; calls/request {statistics.median(calls[case]):,.0f}" if case in calls else ""))
    with app.app_context():
        writer.stop()
    return 0


def _run(client, headers, requests, writer) -> None:
    for method, path, body in requests:
        r = client.open(path, method=method, data=body, headers=headers)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.get_data()[:300]!r}")
    writer.flush()


if __name__ == "__main__":
    sys.exit(main())
