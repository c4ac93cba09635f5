"""Profile Rollcall's write cases on a loaded server: py-spy on one gunicorn worker under wrk.

    .venv/bin/python -m bench.profile                        # SQLite, 10,000 users
    .venv/bin/python -m bench.profile --database-url postgresql+psycopg://postgres@127.0.0.1/rc_bench_prof

One worker × 4 threads (so one process holds every request), driven by wrk at c=4 per
case; py-spy samples the thread holding the GIL (`--gil`: Python CPU, not waiting) at
250 Hz. Per case it writes the collapsed stacks (`<case>.txt`) and prints the inclusive
share of every Rollcall function and of the heaviest library frames. Needs py-spy and wrk.
"""

import argparse
import collections
import os
import re
import subprocess
import sys
import time

from bench import database
from bench import loadgen
from bench import membership
from bench import seed
from bench.run import RESULTS
from bench.scenarios import SCIM
from bench.scenarios import Plan
from bench.servers import BIN
from bench.servers import Server

CASES = ("create", "patch_replace", "deactivate", "member_add_100")
OURS = re.compile(r"\((?:services|scim|blueprints|models|security|extensions|logging_setup|"
                  r"app|web|serialize)[^)]*\)$")
FRAME = re.compile(r"^(.*) \((.*):(\d+)\)$")


def requests_for(plan: Plan, case: str, groups: list[str], n: int) -> list:
    if case == "create":
        return plan.creates(n)
    if case == "patch_replace":
        return plan.patches(n)
    if case == "deactivate":
        return plan.deactivations(n)
    return plan.member_batches(groups, f"{SCIM}/Groups/{{}}")(n)


def summarize(path: str, top: int = 60) -> str:
    """Inclusive share of each frame (a frame counted once per sample), heaviest first."""
    inclusive, total = collections.Counter(), 0
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if not stack:
                continue
            n = int(count)
            total += n
            seen = set()
            for frame in stack.split(";"):
                m = FRAME.match(frame)
                key = f"{m.group(1)} ({_short(m.group(2))})" if m else frame
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += n
    lines = [f"{total} samples; Rollcall's frames, then the library's heaviest"]
    ranked = inclusive.most_common()
    ours = [(k, n) for k, n in ranked if OURS.search(k)][:top]
    theirs = [(k, n) for k, n in ranked if not OURS.search(k)][:top // 2]
    for key, n in ours + [("--", 0)] + theirs:
        lines.append(f"{100 * n / total:5.1f}%  {key}")
    return "\n".join(lines)


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/wt-perf/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url")
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=4)
    p.add_argument("--cases", default=",".join(CASES))
    args = p.parse_args(argv)
    backend = "postgresql" if args.database_url else "sqlite"
    out_dir = os.path.join(RESULTS, time.strftime("%Y%m%d-%H%M%S") + f"-profile-{backend}")
    os.makedirs(out_dir, exist_ok=True)
    url, _ = database.prepare(args.database_url, out_dir)
    token = database.issue_token(url, "bench-profile")
    seed.seed_users(url, args.users)
    plan = Plan(args.users, 0)
    env = {"DATABASE_URL": url, "SCIM_RATE_LIMIT": "1000000/second", "WEB_WORKERS": "1",
           "WEB_THREADS": "4"}
    with Server("wsgi:app", env, os.path.join(out_dir, "rollcall.log"), "/healthz") as server:
        worker = [pid for pid in loadgen.process_tree(server.pid) if pid != server.pid][0]
        groups = [membership.create_group(server.url, token, f"prof-{k:02d}", [])
                  for k in range(40)]
        for case in args.cases.split(","):
            loadgen.measure(server.url, token, requests_for(plan, case, groups, 300),
                            args.concurrency, 1.0)  # warm-up
            reqs = requests_for(plan, case, groups, 400 * args.seconds)
            out = os.path.join(out_dir, f"{case}.txt")
            spy = subprocess.Popen([os.path.join(BIN, "py-spy"), "record", "--gil", "-r", "250",
                                    "-f", "raw", "-o", out, "-d", str(args.seconds + 1),
                                    "-p", str(worker)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            stats = loadgen.measure(server.url, token, reqs, args.concurrency, args.seconds,
                                    server.pid, database_pids=database.backend_pids(
                                        args.database_url or ""))
            spy.wait()
            head = (f"== {case}: {stats['rps']:.0f} req/s, cpu/req "
                    f"{stats['cpu_ms_per_request']:.2f} ms, bad {stats['bad_status']}, "
                    f"load {os.getloadavg()[0]:.2f}")
            text = head + "\n" + summarize(out)
            with open(os.path.join(out_dir, f"{case}-summary.txt"), "w") as f:
                f.write(text + "\n")
            print(text, flush=True)
    print(f"profiles in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
