"""Scale mode: lookup latency as the directory grows (target in docs/performance.md).

The same database grows from the smallest size to the largest (seeding resumes where it
stopped); at each size both servers start afresh and the indexed SELECT baseline and
Rollcall's lookup run `--repeats` times at each concurrency, alternating. The median of
the repeats is reported, as single p99 readings on a shared machine are noisy.
"""

import os
import statistics
import time

from bench import report
from bench import seed
from bench.scenarios import Plan
from bench.servers import Server

SHARE = report.SCALE_P99_GROWTH


def run(args, rollcall_url: str, baseline_url: str, token: str, out_dir: str) -> dict:
    from bench.run import Bench

    sizes = sorted(int(x) for x in args.scale.split(","))
    rows, seeding = [], {}
    for size in sizes:
        began = time.perf_counter()
        print(f"seeding up to {size:,} users", flush=True)
        seed.seed_users(rollcall_url, size)
        seed.seed_baseline(baseline_url, size)
        seeding[size] = time.perf_counter() - began
        env = {"DATABASE_URL": rollcall_url, "SCIM_RATE_LIMIT": "1000000/second"}
        with Server("bench.baseline:create_app()", {"BASELINE_DATABASE_URL": baseline_url},
                    os.path.join(out_dir, "baseline.log"), "/trivial") as baseline, \
                Server("wsgi:app", env, os.path.join(out_dir, "rollcall.log"),
                       "/healthz") as rollcall:
            bench = Bench(args, token, rollcall, baseline, Plan(size, 0, seed=size))
            for _ in range(args.repeats):
                for c in args.concurrency:
                    bench.case("select", "baseline", bench.plan.selects, c)
                    bench.case("lookup", "rollcall", bench.plan.lookups, c, baseline="select")
        for case in ("select", "lookup"):
            for c in args.concurrency:
                runs = [x for x in bench.cases if x["case"] == case and x["c"] == c]
                rows.append({"users": size, "case": case, "c": c, "runs": runs, **{
                    key: statistics.median(x[key] for x in runs)
                    for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "other_cpu_pct")}})
    return {"kind": "scale", "sizes": sizes, "seed_seconds": seeding, "rows": rows,
            "targets": _targets(rows, sizes, args.concurrency)}


def _targets(rows, sizes, concurrency) -> list[dict]:
    out = []
    small, large = sizes[0], sizes[-1]
    for case in ("lookup", "select"):
        for c in concurrency:
            a = next(r for r in rows if r["users"] == small and r["case"] == case and r["c"] == c)
            b = next(r for r in rows if r["users"] == large and r["case"] == case and r["c"] == c)
            ratio = b["p99_ms"] / a["p99_ms"] if a["p99_ms"] else None
            label = f"{case} p99 at {large:,} users vs {small:,}, c={c}"
            if case == "select":
                label += " (baseline, for reference)"
            out.append({"target": label, "value": ratio, "limit": f"<= {SHARE:g}", "unit": "x",
                        "holds": None if ratio is None else ratio <= SHARE})
    return out


def markdown(results: dict) -> list[str]:
    lines = ["| users | case | c | req/s | p50 ms | p90 ms | p99 ms | other CPU | seeding s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results["rows"]:
        lines.append(f"| {r['users']:,} | {r['case']} | {r['c']} | {r['rps']:,.1f} | "
                     f"{r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['other_cpu_pct']:.0f}% | "
                     f"{results['seed_seconds'].get(r['users'], 0):.0f} |")
    lines += ["", "Medians of the repeats. Targets:", "", "| target | value | limit | holds |",
              "|---|---|---|---|"]
    for t in results["targets"]:
        holds = {True: "yes", False: "**no**", None: "-"}[t["holds"]]
        value = "-" if t["value"] is None else f"{t['value']:.2f}"
        lines.append(f"| {t['target']} | {value} {t['unit']} | {t['limit']} | {holds} |")
    return lines
