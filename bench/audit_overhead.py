"""Audit-trail overhead: SCIM throughput with the request log (and its sealing) on and off.

    .venv/bin/python -m bench.audit_overhead [--users 5000] [--duration 5] [--rounds 2]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/rc_bench_audit]

Runs gunicorn (the repository's gunicorn.conf.py) twice per round on the same seeded
database: once as configured, once with REQUEST_LOG_ENABLED=False, and replays Entra's
lookup and a PATCH replace at concurrency 8 against each (wrk, or bench.client). Rounds
alternate the order so that drift on a shared machine hits both sides. Change records
stay on in both: they are part of the write's transaction, not an add-on.
"""

import argparse
import os
import statistics
import sys
import tempfile

from sqlalchemy import create_engine
from sqlalchemy import text

from bench import database
from bench import loadgen
from bench import seed
from bench.scenarios import Plan
from bench.servers import Server

CASES = (("lookup", "lookups"), ("patch", "patches"))


def serve():
    """The app for gunicorn 'bench.audit_overhead:serve()', the log on or off by AUDIT_BENCH_LOG."""
    from app import create_app

    return create_app({"REQUEST_LOG_ENABLED": os.environ.get("AUDIT_BENCH_LOG", "on") == "on",
                       "AUDIT_SEAL_INTERVAL": float(os.environ.get("AUDIT_SEAL_INTERVAL", "5"))})


def measure(args, url: str, token: str, plan: Plan, mode: str, out_dir: str) -> dict:
    env = {"DATABASE_URL": url, "AUDIT_BENCH_LOG": mode, "SCIM_RATE_LIMIT": "1000000/second"}
    log = os.path.join(out_dir, f"gunicorn-{mode}.log")
    results = {}
    with Server("bench.audit_overhead:serve()", env, log, "/healthz") as server:
        for name, maker in CASES:
            make = getattr(plan, maker)
            loadgen.measure(server.url, token, make(500), args.concurrency, 1.0, tool=args.client)
            results[name] = loadgen.measure(server.url, token, make(20_000), args.concurrency,
                                            args.duration, server.pid, tool=args.client)
    return results


def summarise(rounds: list[dict]) -> dict:
    """Per mode and case: the median of the rounds' throughput and latencies."""
    out = {}
    for mode in ("off", "on"):
        for name, _ in CASES:
            runs = [r[mode][name] for r in rounds]
            out[(mode, name)] = {key: statistics.median(run[key] for run in runs)
                                 for key in ("rps", "p50_ms", "p99_ms", "cpu_ms_per_request")
                                 if all(run.get(key) is not None for run in runs)}
            out[(mode, name)]["errors"] = sum(run["bad_status"] for run in runs)
    return out


def table(summary: dict) -> str:
    lines = ["| case | request log | requests/s | p50 ms | p99 ms | server CPU ms/req | errors |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, _ in CASES:
        for mode in ("off", "on"):
            s = summary[(mode, name)]
            cpu = f"{s['cpu_ms_per_request']:.2f}" if "cpu_ms_per_request" in s else "-"
            lines.append(f"| {name} | {mode} | {s['rps']:.0f} | {s['p50_ms']:.1f} | "
                         f"{s['p99_ms']:.1f} | {cpu} | {s['errors']} |")
    lines.append("")
    for name, _ in CASES:
        on, off = summary[("on", name)], summary[("off", name)]
        lines.append(f"{name}: throughput with the log on = {on['rps'] / off['rps']:.2f} x off; "
                     f"p99 {on['p99_ms']:.1f} ms vs {off['p99_ms']:.1f} ms")
    return "\n".join(lines)


def trail_state(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT count(*) FROM request_log")).scalar()
        unsealed = conn.execute(text("SELECT count(*) FROM request_log WHERE seq IS NULL")).scalar()
        changes = conn.execute(text("SELECT count(*) FROM change_records")).scalar()
    engine.dispose()
    return (f"request-log rows written: {logged:,} ({unsealed:,} not sealed yet at shutdown); "
            f"change records: {changes:,}")


def main(argv=None) -> int:
    args = parse(argv)
    out_dir = tempfile.mkdtemp(prefix="rollcall-audit-bench-")
    url, _ = database.prepare(args.database_url, out_dir, args.database_url is not None,
                              args.schema)
    print(f"seeding {args.users:,} users into {database.describe(url)} ({out_dir})", flush=True)
    seed.seed_users(url, args.users, progress=lambda _line: None)
    token = database.issue_token(url, "audit-bench")
    plan = Plan(args.users, 0)
    rounds = []
    for n in range(args.rounds):
        order = ("off", "on") if n % 2 == 0 else ("on", "off")
        rounds.append({mode: measure(args, url, token, plan, mode, out_dir) for mode in order})
        print(f"round {n + 1}/{args.rounds} done", flush=True)
    print()
    print(f"Audit overhead, {database.describe(url)}, concurrency {args.concurrency}, "
          f"{args.duration:.0f} s per case, median of {args.rounds} rounds ({args.client})")
    print()
    print(table(summarise(rounds)))
    print(trail_state(url))
    if not args.database_url:
        database.remove_sqlite(url)
    return 0


def parse(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", help="PostgreSQL URL of a database named rc_bench…, "
                   "dropped and made afresh; default: a new SQLite file")
    p.add_argument("--schema", choices=["migrations", "models"], default="models",
                   help="build the schema from the models (default) or the migrations")
    p.add_argument("--users", type=int, default=5000)
    p.add_argument("--duration", type=float, default=5.0, help="seconds measured per case")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--client", choices=["wrk", "python"],
                   default="wrk" if loadgen.have_wrk() else "python")
    return p.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
