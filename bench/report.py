"""Targets of docs/performance.md, progress lines, and the Markdown report of a run."""

LOOKUP_SHARE = 0.60
WRITE_SHARE = 0.85
WRITE_P99_MS = 50.0
PAGE_SHARE = 0.50
GROUP_READ_SHARE = 0.90  # "as fast as a user lookup", within this run's noise
MEMBER_ADD_GROWTH = 2.0
SCALE_P99_GROWTH = 1.3
BULK_RECORDS = 2000.0
TARGET_C = 8
# Issue 20: writes against the bare stack (bench/baseline.py doing the same write).
BARE_WRITE_SHARE = 0.50
BARE_WRITES = {"create": "base_create", "patch_replace": "update",
               "deactivate": "base_deactivate"}
MEMBER_ADD_100_BARE = 2.0  # p50 at c=1 within 2x the bare stack's
POSTGRES_SHARE = 0.70  # of SQLite's throughput, every workload


def line(s: dict) -> str:
    ratio = f" x{s['ratio']:.2f} of {s['baseline']}" if s.get("ratio") is not None else ""
    if s.get("cpu_ratio") is not None:
        ratio += f" (cpu x{s['cpu_ratio']:.2f})"
    flags = (" WRAPPED" if s.get("wrapped") else "") + (
        f" {s['bad_status']} BAD: {s['sample'][:120]}" if s.get("bad_status") else "")
    return (f"  {s['case']:<20} c={s['c']} {s['rps']:8.1f}/s p50 {s['p50_ms']:7.2f} "
            f"p90 {s['p90_ms']:7.2f} p99 {s['p99_ms']:7.2f} ms{ratio}  cpu/req "
            f"{_fmt(s.get('cpu_ms_per_request'))} ms, server "
            f"{_pct(s.get('server_cpu_pct'))} client {_pct(s.get('client_cpu_pct'))} other "
            f"{_pct(s.get('other_cpu_pct'))}{flags}")


def _pct(value) -> str:
    return "-" if value is None else f"{value:.0f}%"


def growth_line(s: dict) -> str:
    first, last = s["bands"][0], s["bands"][-1]
    return (f"  member add x100 to {s['members']:,} c={s['concurrency']}: "
            f"{s['members_per_s']:,.0f} members/s, p50 {s['p50_ms']:.1f} p99 {s['p99_ms']:.1f} ms;"
            f" first band p50 {first['p50_ms']:.1f} ms, last band p50 {last['p50_ms']:.1f} ms"
            + (f" {s['bad_status']} BAD: {s['sample'][:120]}" if s["bad_status"] else ""))


def _find(cases, name, c=TARGET_C):
    """The case's figures; a case that ran out of fresh requests (wrapped) counts as missing."""
    return next((x for x in reversed(cases) if x["case"] == name and x["c"] == c
                 and not x.get("wrapped")), None)


def _target(name, value, limit, holds, unit="") -> dict:
    return {"target": name, "value": value, "limit": limit, "unit": unit,
            "holds": None if value is None else bool(holds)}


def bare_targets(cases: list, sqlite_cases: list | None = None) -> list[dict]:
    """Issue 20's targets: writes at half the bare stack or better, in the same run."""
    out = []
    for name, base in BARE_WRITES.items():
        for c in (1, TARGET_C):
            case = _find(cases, name, c)
            ratio = case.get("ratio") if case else None
            out.append(_target(f"{name} vs the bare stack ({base}), c={c}", ratio,
                               f">= {BARE_WRITE_SHARE:.2f}",
                               ratio is not None and ratio >= BARE_WRITE_SHARE, f"x {base}"))
    mine, bare = _find(cases, "member_add_100", 1), _find(cases, "base_member_add_100", 1)
    times = mine["p50_ms"] / bare["p50_ms"] if mine and bare and bare["p50_ms"] else None
    out.append(_target("member add of 100, p50 at c=1 vs the bare stack's", times,
                       f"<= {MEMBER_ADD_100_BARE:g}",
                       times is not None and times <= MEMBER_ADD_100_BARE, "x"))
    for name in (*BARE_WRITES, "member_add_100"):
        case = _find(cases, name)
        p99 = case["p99_ms"] if case else None
        out.append(_target(f"{name} p99, c={TARGET_C}", p99, f"<= {WRITE_P99_MS:g}",
                           p99 is not None and p99 <= WRITE_P99_MS, "ms"))
    for case in cases if sqlite_cases else ():
        if case.get("app") != "rollcall" or not case.get("rps"):
            continue
        lite = _find(sqlite_cases, case["case"], case["c"])
        share = case["rps"] / lite["rps"] if lite and lite.get("rps") else None
        out.append(_target(f"PostgreSQL vs SQLite, {case['case']}, c={case['c']}", share,
                           f">= {POSTGRES_SHARE:.2f}",
                           share is not None and share >= POSTGRES_SHARE, "x SQLite"))
    return out


def targets(cases: list, growth: list, database_url: str) -> list[dict]:
    out = []

    def share(name, base, limit, label):
        case = _find(cases, name)
        ratio = case.get("ratio") if case else None
        out.append(_target(label, ratio, f">= {limit:.2f}", ratio is not None and ratio >= limit,
                           f"x {base}"))

    share("lookup", "select", LOOKUP_SHARE, "lookup throughput vs one indexed SELECT, c=8")
    for name in ("patch_replace", "deactivate"):
        share(name, "update", WRITE_SHARE, f"{name} throughput vs one indexed UPDATE, c=8")
        case = _find(cases, name)
        p99 = case["p99_ms"] if case else None
        out.append(_target(f"{name} p99, c=8", p99, f"<= {WRITE_P99_MS:g}",
                           p99 is not None and p99 <= WRITE_P99_MS, "ms"))
    for label in ("first", "middle", "last"):
        share(f"page_{label}", f"page_base_{label}", PAGE_SHARE,
              f"list count=100, {label} pages, vs one page query, c=8")
    lookup = _find(cases, "lookup")
    for label in ("small", "big"):
        case = _find(cases, f"group_read_{label}")
        ratio = case["rps"] / lookup["rps"] if case and lookup and lookup["rps"] else None
        members = case.get("members") if case else None
        out.append(_target(f"group read excludedAttributes=members ({members:,} members) vs "
                           "user lookup, c=8" if members else "group read vs user lookup",
                           ratio, f">= {GROUP_READ_SHARE:.2f}",
                           ratio is not None and ratio >= GROUP_READ_SHARE, "x lookup"))
    small, big = _find(cases, "member_add_small", 1), _find(cases, "member_add_big", 1)
    ratio = big["mean_ms"] / small["mean_ms"] if small and big and small["mean_ms"] else None
    size = big.get("members") if big else 0
    out.append(_target(f"add one member: {size:,}-member group vs 100-member group "
                       "(mean latency, c=1)", ratio, f"<= {MEMBER_ADD_GROWTH:g}",
                       ratio is not None and ratio <= MEMBER_ADD_GROWTH, "x"))
    bulk = [x for x in cases if x["case"] == "bulk_50" and not x.get("wrapped")]
    best = max((x["records_per_s"] for x in bulk), default=None)
    postgres = database_url.startswith("postgresql")
    out.append(_target("/Bulk user records per second" + ("" if postgres else
                                                          " (target is for PostgreSQL)"),
                       best, f">= {BULK_RECORDS:g}", best is not None and best >= BULK_RECORDS,
                       "records/s"))
    return out


def _fmt(value, digits=2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def markdown(results: dict) -> str:
    meta = results.get("meta", {})
    lines = [f"# Rollcall benchmark: {meta.get('backend', '?')}, {meta.get('started', '')}", "",
             f"Machine: {meta.get('cpu', '?')}, {meta.get('cores', '?')} cores, Python "
             f"{meta.get('python', '?')}; load average at start {meta.get('load_average')}; "
             f"gunicorn workers {meta.get('workers')}, threads {meta.get('threads')}.", ""]
    if results.get("kind") == "scale":
        from bench import scale

        return "\n".join(lines + scale.markdown(results)) + "\n"
    args = meta.get("args", {})
    lines += [f"{args.get('users', 0):,} users seeded in {results.get('seed_seconds', 0):.0f} s; "
              f"{args.get('duration')} s per case after {args.get('warmup')} s of warm-up; "
              f"generator: {args.get('client')}.", ""]
    if args.get("interleave"):
        lines += [f"Ratios: the median of {args['interleave']} pairs of 1 s slices, the "
                  "baseline's and the case's alternating (`--interleave`); the other columns "
                  "are the case's own run.", ""]
    lines += ["| case | c | req/s | p50 ms | p90 ms | p99 ms | baseline | ratio | "
              "CPU ms/req | CPU ratio | server CPU | client CPU | other CPU |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for s in results.get("cases", []):  # the calibration cases (trivial_*) come first
        name = s["case"] + (f" ({s['records_per_s']:,.0f} records/s)"
                            if s.get("records_per_request", 1) > 1 else "")
        flag = " (wrapped)" if s.get("wrapped") else ""
        flag += f" ({s['bad_status']} errors)" if s.get("bad_status") else ""
        lines.append(f"| {name}{flag} | {s['c']} | {s['rps']:,.1f} | {s['p50_ms']:.2f} | "
                     f"{s['p90_ms']:.2f} | {s['p99_ms']:.2f} | {s.get('baseline') or '-'} | "
                     f"{_fmt(s.get('ratio'))} | {_fmt(s.get('cpu_ms_per_request'))} | "
                     f"{_fmt(s.get('cpu_ratio'))} | {_pct(s.get('server_cpu_pct'))} | "
                     f"{_pct(s.get('client_cpu_pct'))} | {_pct(s.get('other_cpu_pct'))} |")
    if results.get("growth"):
        lines += ["", "Member add, batches of 100 (cost as the group grows):", "",
                  "| group size | c | p50 ms | p99 ms | mean ms |", "|---|---|---|---|---|"]
        for g in results["growth"]:
            for b in g["bands"]:
                lines.append(f"| {b['from_members']:,}–{b['to_members']:,} | {g['concurrency']} "
                             f"| {b['p50_ms']:.1f} | {b['p99_ms']:.1f} | {b['mean_ms']:.1f} |")
            lines.append(f"| all ({g['members_per_s']:,.0f} members/s) | {g['concurrency']} | "
                         f"{g['p50_ms']:.1f} | {g['p99_ms']:.1f} | {g['mean_ms']:.1f} |")
    for title, key in (("Targets (issue 20, the bare stack)", "bare_targets"),
                       ("Targets (issue 6, docs/performance.md)", "targets")):
        lines += _target_table(title, results.get(key, []))
    return "\n".join(lines) + "\n"


def _target_table(title: str, targets: list) -> list[str]:
    lines = ["", f"{title}:", "", "| target | value | limit | holds |", "|---|---|---|---|"]
    for t in targets:
        holds = {True: "yes", False: "**no**", None: "-"}[t["holds"]]
        lines.append(f"| {t['target']} | {_fmt(t['value'])} {t['unit']} | {t['limit']} | {holds} |")
    return lines
