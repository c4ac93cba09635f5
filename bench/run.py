"""Benchmark Rollcall against a minimal app on the same stack, in one command.

    .venv/bin/python -m bench.run                 # SQLite, 100,000 users (≈ 6 minutes)
    .venv/bin/python -m bench.run --quick         # SQLite, 10,000 users (≈ 2 minutes)
    .venv/bin/python -m bench.run --database-url postgresql+psycopg://postgres@127.0.0.1/rc_bench
    .venv/bin/python -m bench.run --scale 10000,1000000   # lookup p99 as the directory grows

It makes a fresh database, seeds it (bench/seed.py), starts Rollcall and the baseline
(bench/baseline.py) under gunicorn with gunicorn.conf.py on free ports, measures every
case at concurrency 1 and 8 with wrk (or bench/client.py), stops both servers and writes
results.json and results.md under bench/results/<run>/. See bench/README.md.
"""

import argparse
import json
import os
import platform
import signal
import statistics
import sys
import time

from bench import client
from bench import database
from bench import loadgen
from bench import membership
from bench import payloads
from bench import report
from bench import seed
from bench import servers
from bench.scenarios import SCIM
from bench.scenarios import Plan
from bench.servers import ROOT
from bench.servers import Server

RESULTS = os.path.join(ROOT, "bench", "results")
ADD100_GROUPS = 40  # groups per concurrency for member_add_100: 40 × users/100 fresh batches
# The cases that need the growth sequences and the small groups.
GROUP_CASES = {"group_read_small", "group_read_big", "member_add_small", "member_add_big"}
# --cases writes: issue 20's write cases, their bare-stack baselines, and a lookup as a
# check that reads did not get slower.
PRESETS = {"writes": {"select", "lookup", "update", "patch_replace", "base_deactivate",
                      "deactivate", "base_create", "create", "base_member_add_100",
                      "member_add_100"}}


class Bench:
    """Measures cases against the two servers and keeps the results."""

    def __init__(self, args, token: str, rollcall: Server, baseline: Server, plan: Plan):
        self.args, self.token, self.plan = args, token, plan
        self.servers = {"rollcall": rollcall, "baseline": baseline}
        self.cases: list[dict] = []
        self.makers: dict[str, tuple] = {}  # case name -> (app, make, stateful), to re-measure

    def case(self, name: str, app: str, make, c: int, stateful: bool = False,
             baseline: str | None = None, records: int = 1, warm_n: int = 400, **extra) -> dict:
        """Warm up, then measure `make`'s requests at concurrency c for the set duration."""
        server, args = self.servers[app], self.args
        if args.cases and name not in args.cases:
            return {}
        self.makers[name] = (app, make, stateful)
        warm = loadgen.measure(server.url, self.token, make(warm_n), c, args.warmup,
                               server.pid, args.client)
        backends = database.backend_pids(args.database_url or "")  # after warm-up: all open
        # Slow cases run longer, so that every figure rests on at least min_requests.
        duration = min(args.max_duration,
                       max(args.duration, args.min_requests / max(warm["rps"], 0.5)))
        # Fresh requests for stateful cases: a 1 s warm-up underestimates slow ones at c=8.
        requests = make(int(warm["rps"] * duration * 3) + 50 * c if stateful else None)
        if not requests:
            raise RuntimeError(f"{name}: no fresh requests left (raise --spares or --users)")
        stats = loadgen.measure(server.url, self.token, requests, c, duration, server.pid,
                                args.client, backends)
        stats.update(case=name, app=app, c=c, baseline=baseline, records_per_request=records,
                     records_per_s=stats["rps"] * records, **extra)
        # A stateful case that ran out of fresh requests repeated some: its figure is void.
        stats["wrapped"] = stateful and stats["requests"] > len(requests)
        if baseline:
            base = self.find(baseline, c)
            stats["ratio"] = stats["rps"] / base["rps"] if base and base["rps"] else None
            mine, theirs = stats["cpu_ms_per_request"], base and base["cpu_ms_per_request"]
            stats["cpu_ratio"] = theirs / mine if mine and theirs else None
            if args.interleave and base:
                self.interleave(stats, name, baseline, c)
        self.cases.append(stats)
        print(report.line(stats), flush=True)
        return stats

    def interleave(self, stats: dict, name: str, baseline: str, c: int) -> None:
        """Measure the case and its baseline again in alternating 1 s slices (--interleave).

        On a machine whose CPU speed changes from one second to the next (a shared host:
        docs/performance.md, session 8), two cases measured one after the other can land in
        different phases; adjacent slices share one. `ratio` becomes the median of the
        pairs' ratios; the sequential one is kept as `ratio_sequential`.
        """
        pairs = []
        for _ in range(self.args.interleave):
            pair = [self._slice(baseline, c, self.find(baseline, c)["rps"]),
                    self._slice(name, c, stats["rps"])]
            if None in pair:
                break  # a stateful case ran out of fresh requests
            pairs.append(pair)
        ratios = [mine / base for base, mine in pairs if base]
        if ratios:
            stats["ratio_sequential"] = stats["ratio"]
            stats["interleaved_rps"] = pairs
            stats["ratio"] = statistics.median(ratios)

    def _slice(self, name: str, c: int, rps: float) -> float | None:
        """One 1 s measurement of a case already measured at `rps`; None if out of requests."""
        app, make, stateful = self.makers[name]
        server, args = self.servers[app], self.args
        wanted = int(rps * 3) + 50 * c
        requests = make(wanted if stateful else None)
        if not requests or (stateful and len(requests) < wanted):
            return None  # wrk would replay requests that change nothing the second time
        return loadgen.measure(server.url, self.token, requests, c, 1.0, server.pid,
                               args.client)["rps"]

    def find(self, name: str, c: int) -> dict | None:
        return next((x for x in reversed(self.cases) if x["case"] == name and x["c"] == c), None)


def run_cases(bench: Bench, args, groups: dict) -> None:
    plan, n = bench.plan, args.users
    positions = {"first": 1, "middle": n // 2, "last": max(1, n - 100 * 100 + 1)}
    for c in args.concurrency:
        bench.case("select", "baseline", plan.selects, c)
        bench.case("lookup", "rollcall", plan.lookups, c, baseline="select")
        bench.case("get", "rollcall", plan.gets, c, baseline="select")
        for label, name in (("small", groups.get("small_names")),
                            ("big", [groups.get("big_name")])):
            bench.case(f"group_read_{label}", "rollcall", plan.group_reads(name), c,
                       baseline="select", members=groups.get(f"{label}_members"))
        bench.case("update", "baseline", plan.updates, c, stateful=True)
        bench.case("patch_replace", "rollcall", plan.patches, c, stateful=True, baseline="update")
        bench.case("base_deactivate", "baseline", plan.base_deactivations, c, stateful=True)
        bench.case("deactivate", "rollcall", plan.deactivations, c, stateful=True,
                   baseline="base_deactivate")
        bench.case("base_create", "baseline", plan.base_creates, c, stateful=True)
        bench.case("create", "rollcall", plan.creates, c, stateful=True, baseline="base_create")
        bench.case("bulk_50", "rollcall", plan.bulks, c, stateful=True, baseline="update",
                   records=50, warm_n=20)
        for label in ("small", "big"):
            bench.case(f"member_add_{label}", "rollcall",
                       plan.member_adds(groups.get(f"{label}_add")), c, stateful=True,
                       baseline="update", members=groups.get(f"{label}_members"),
                       warm_n=100)
        # Entra's batch: 100 members per PATCH, each (group, batch) pair once (issue 20).
        bench.case("base_member_add_100", "baseline", plan.member_batches(
            [f"base-c{c}-{k:02d}" for k in range(ADD100_GROUPS)], "/groups/{}/members"),
            c, stateful=True, warm_n=100)
        bench.case("member_add_100", "rollcall", plan.member_batches(
            groups[f"add100_c{c}"], f"{SCIM}/Groups/{{}}"), c, stateful=True,
            baseline="base_member_add_100", warm_n=100)
        for label, start in positions.items():
            bench.case(f"page_base_{label}", "baseline", plan.base_pages(start), c)
            bench.case(f"page_{label}", "rollcall", plan.pages(start), c,
                       baseline=f"page_base_{label}", start_index=start)
            # Collected just before the case: cursors live SCIM_CURSOR_TIMEOUT (10 minutes).
            if args.cases and f"cursor_page_{label}" not in args.cases:
                continue
            cursors = collect_cursors(bench.servers["rollcall"].url, bench.token, start)
            bench.case(f"cursor_page_{label}", "rollcall", plan.cursor_pages(cursors), c,
                       baseline=f"page_base_{label}", start_index=start)


def collect_cursors(url: str, token: str, start: int, window: int = 100) -> list[str]:
    """The nextCursor values of `window` count=100 pages from about position `start` on.

    The walk there takes count=1000 pages (SCIM_MAX_RESULTS), so a millionth row costs
    a thousand requests once, before the measurement.
    """
    conn, cursor, seen, found = client.Connection(url, token), "", 0, []
    try:
        while cursor is not None and len(found) < window:
            size = 1000 if seen + 1000 < start else 100
            status, body = conn.send("GET", f"/scim/v2/Users?cursor={cursor}&count={size}")
            page = json.loads(body)
            if status != 200:
                raise RuntimeError(f"cursor walk: {status} {page}")
            seen += page["itemsPerPage"]
            cursor = page.get("nextCursor")
            if cursor and seen + 1 >= start:  # the next page starts at or past `start`
                found.append(cursor)
    finally:
        conn.close()
    return found or [""]


def prepare_groups(bench: Bench, args) -> tuple[dict, list]:
    """Small groups, the growth sequences (c=1 to the big size, c=8 to 10,000)."""
    url, token = bench.servers["rollcall"].url, bench.token
    add100 = {f"add100_c{c}": [membership.create_group(url, token, f"bench-add100-c{c}-{k:02d}",
                                                       []) for k in range(ADD100_GROUPS)]
              for c in args.concurrency}
    if args.cases and not args.cases & GROUP_CASES:
        return add100, []
    small = [f"bench-small-{k:02d}" for k in range(20)]
    for k, name in enumerate(small):
        membership.create_group(url, token, name,
                                [payloads.user_id(i) for i in range(k * 100, k * 100 + 100)])
    growth = []
    for size, c in ((args.group_size, 1), (min(10_000, args.group_size), 8)):
        stats = membership.grow(url, token, f"bench-grow-c{c}", size, c)
        growth.append(stats)
        print(report.growth_line(stats), flush=True)
    big = growth[0]["group_id"]
    small_add = membership.create_group(url, token, "bench-add-small",
                                        [payloads.user_id(i) for i in range(100)])
    return {"small_names": small, "small_members": 100, "big_name": "bench-grow-c1",
            "big_members": args.group_size, "small_add": small_add, "big_add": big,
            **add100}, growth


def check_seed(url: str, token: str, plan: Plan) -> None:
    """Stop unless Entra's matching query finds a seeded user: a seed that left a column
    the lookup uses empty once had every lookup case measure a miss (docs/performance.md).
    """
    method, path, _ = plan.lookups()[0]
    conn = client.Connection(url, token)
    status, payload = conn.send(method, path)
    conn.close()
    found = json.loads(payload).get("totalResults") if status == 200 else None
    if found != 1:
        raise SystemExit(f"seeded users are not found by {path}: {status} {payload[:200]!r}")


def calibrate(bench: Bench, args) -> list:
    """The generator against the trivial route: wrk and the Python client, c=1 and c=8."""
    tools = ["wrk", "python"] if loadgen.have_wrk() else ["python"]
    out = []
    for tool in tools:
        for c in args.concurrency:
            saved, args.client = args.client, tool
            stats = bench.case(f"trivial_{tool}", "baseline", bench.plan.trivial, c)
            args.client = saved
            out.append(stats)
    return out


def main(argv=None) -> int:
    args = parse(argv)
    servers.PRIORITY["boost"] = args.priority
    signal.signal(signal.SIGTERM, _interrupt)
    backend = "postgresql" if args.database_url else "sqlite"
    tag = time.strftime("%Y%m%d-%H%M%S")
    out_dir = os.path.join(RESULTS, f"{tag}-{backend}-{'scale' if args.scale else args.users}")
    os.makedirs(out_dir, exist_ok=True)
    meta = machine(args, backend)
    print(f"bench: {backend}, results in {os.path.relpath(out_dir, ROOT)}", flush=True)
    rollcall_url, baseline_url = database.prepare(args.database_url, out_dir,
                                                  args.recreate_database, args.schema)
    token = database.issue_token(rollcall_url, f"bench-{tag}")
    if args.scale:
        from bench import scale

        results = scale.run(args, rollcall_url, baseline_url, token, out_dir)
    else:
        results = main_run(args, rollcall_url, baseline_url, token, out_dir)
    results["meta"] = meta
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, indent=1, default=str)
    markdown = report.markdown(results)
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(markdown)
    print("\n" + markdown)
    if not args.keep_db:
        database.remove_sqlite(rollcall_url)
        database.remove_sqlite(baseline_url)
    _compress(os.path.join(out_dir, "rollcall.log"))  # one JSON line per request: ~100 MB
    return 0


def _compress(path: str) -> None:
    import gzip
    import shutil

    if os.path.exists(path):
        with open(path, "rb") as src, gzip.open(path + ".gz", "wb") as dst:
            shutil.copyfileobj(src, dst)
        os.unlink(path)


def main_run(args, rollcall_url, baseline_url, token, out_dir) -> dict:
    began = time.perf_counter()
    print(f"seeding {args.users:,} users and {args.spares:,} spares", flush=True)
    seed.seed_users(rollcall_url, args.users)
    seed.seed_users(rollcall_url, args.spares, "spare")
    seed.seed_baseline(baseline_url, args.users)
    seeded = time.perf_counter() - began
    env = {"DATABASE_URL": rollcall_url, "SCIM_RATE_LIMIT": "1000000/second"}
    plan = Plan(args.users, args.spares)
    with Server("bench.baseline:create_app()", {"BASELINE_DATABASE_URL": baseline_url},
                os.path.join(out_dir, "baseline.log"), "/trivial") as baseline, \
            Server("wsgi:app", env, os.path.join(out_dir, "rollcall.log"), "/healthz") as rollcall:
        bench = Bench(args, token, rollcall, baseline, plan)
        check_seed(rollcall.url, token, plan)
        calibration = calibrate(bench, args)
        groups, growth = prepare_groups(bench, args)
        # 100,000s of memberships were just written: refresh the planner statistics (and,
        # on PostgreSQL, the visibility map), as autovacuum does on its own a little later.
        engine = seed.engine_for(rollcall_url)
        seed.analyze(engine)
        engine.dispose()
        run_cases(bench, args, groups)
    return {"kind": "main", "seed_seconds": seeded, "calibration": calibration,
            "cases": bench.cases, "growth": growth,
            "targets": report.targets(bench.cases, growth, rollcall_url),
            "bare_targets": report.bare_targets(bench.cases, _sqlite_cases(args))}


def _sqlite_cases(args) -> list | None:
    """The cases of the SQLite run named by --against (PostgreSQL ≥ 0.7 × SQLite)."""
    if not args.against:
        return None
    with open(args.against) as f:
        return json.load(f)["cases"]


def _interrupt(*_):
    raise KeyboardInterrupt  # unwinds through the `with Server` blocks, which stop them


def machine(args, backend: str) -> dict:
    with open("/proc/cpuinfo") as f:
        model = next((x.split(":", 1)[1].strip() for x in f if x.startswith("model name")), "?")
    return {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "cpu": model,
            "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average": os.getloadavg(), "backend": backend,
            "workers": os.environ.get("WEB_WORKERS", "gunicorn.conf.py default"),
            "threads": os.environ.get("WEB_THREADS", "gunicorn.conf.py default"),
            "args": {k: v for k, v in vars(args).items()}}


def parse(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", help="PostgreSQL URL (database dropped and made afresh); "
                   "default: a new SQLite file under bench/results/")
    p.add_argument("--no-recreate-database", dest="recreate_database", action="store_false")
    p.add_argument("--schema", choices=["migrations", "models"], default="migrations",
                   help="build the schema with the Alembic migrations (default) or the models")
    p.add_argument("--users", type=int, help="seeded users (default 100,000; quick 10,000)")
    p.add_argument("--spares", type=int, help="extra users added to groups one at a time")
    p.add_argument("--group-size", type=int, help="members of the big group (default 100,000)")
    p.add_argument("--duration", type=float, help="seconds measured per case (default 5)")
    p.add_argument("--warmup", type=float, help="seconds of warm-up per case (default 1)")
    p.add_argument("--concurrency", default="1,8")
    p.add_argument("--against", metavar="RESULTS_JSON",
                   help="a SQLite run's results.json: report PostgreSQL's throughput as a "
                   "share of it per case (issue 20: >= 0.7)")
    p.add_argument("--cases", help="only these cases (comma-separated names), or 'writes': "
                   "issue 20's write cases and their baselines, a lookup, no growth sequences")
    p.add_argument("--client", choices=["wrk", "python"],
                   default="wrk" if loadgen.have_wrk() else "python")
    p.add_argument("--quick", action="store_true", help="10,000 users, short cases")
    p.add_argument("--scale", help="lookup only, at these user counts: e.g. 10000,1000000")
    p.add_argument("--repeats", type=int, default=3, help="scale mode: runs per size")
    p.add_argument("--keep-db", action="store_true", help="keep the SQLite files")
    p.add_argument("--interleave", type=int, default=0, metavar="K",
                   help="measure each case with a baseline K more times in 1 s slices "
                   "alternating with the baseline's, and report the median ratio (for "
                   "machines whose speed changes from second to second)")
    p.add_argument("--priority", type=int, default=0, metavar="N",
                   help="run servers and wrk at nice -N (root; for machines shared with "
                   "other jobs)")
    args = p.parse_args(argv)
    quick = args.quick
    args.users = args.users or (10_000 if quick else 100_000)
    args.spares = args.spares or (10_000 if quick else 20_000)
    args.group_size = min(args.group_size or (10_000 if quick else 100_000), args.users)
    args.duration = args.duration or (1.0 if quick else 5.0)
    args.warmup = args.warmup or 1.0
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    if args.cases:
        names = set(args.cases.split(","))
        args.cases = set().union(*(PRESETS.get(n, {n}) for n in names))
    # Slow cases (bulk, deep pages) run longer, up to max_duration, for min_requests.
    args.min_requests, args.max_duration = (10, 4.0) if quick else (40, 20.0)
    return args


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: servers stopped", file=sys.stderr)
        sys.exit(130)
