"""Run one measurement with wrk (default) or bench.client, and read the server's CPU use."""

import json
import os
import resource
import shutil
import subprocess
import tempfile
import time

from bench import client
from bench.servers import niced

LUA = os.path.join(os.path.dirname(__file__), "lua", "replay.lua")
TICK = os.sysconf("SC_CLK_TCK")


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (gunicorn's master and workers)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            parents.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += parents.get(current, [])
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total / TICK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / TICK


def write_requests(requests: list, path: str) -> None:
    with open(path, "w") as f:
        for method, target, body in requests:
            f.write(f"{method}\t{target}\t{body}\n" if body is not None
                    else f"{method}\t{target}\n")


def measure(base_url: str, token: str | None, requests: list, concurrency: int,
            duration: float, server_pid: int | None = None, tool: str = "wrk",
            database_pids: list[int] = ()) -> dict:
    """Replay `requests` (cycling) at `concurrency` for `duration` s; stats with CPU shares.

    The server's CPU is gunicorn's processes plus `database_pids` (PostgreSQL backends).
    """
    pids = (process_tree(server_pid) if server_pid else []) + list(database_pids)
    server_before = cpu_seconds(pids)
    machine_before = machine_busy_seconds()
    began = time.perf_counter()
    if tool == "wrk":
        stats = _wrk(base_url, token, requests, concurrency, duration)
    else:
        stats = client.replay(base_url, token, requests, concurrency, duration)
    wall = time.perf_counter() - began
    server_cpu = cpu_seconds(pids) - server_before
    stats["server_cpu_pct"] = 100 * server_cpu / wall if pids else None
    # Server CPU per request: steadier than throughput when other jobs share the cores.
    stats["cpu_ms_per_request"] = (1000 * server_cpu / stats["requests"]
                                   if pids and stats["requests"] else None)
    stats["client_cpu_pct"] = 100 * stats.pop("client_cpu_s") / wall
    # CPU used by anything else on the machine (other jobs): a noisy neighbour shows here.
    busy = 100 * (machine_busy_seconds() - machine_before) / wall
    stats["other_cpu_pct"] = max(0.0, busy - (stats["server_cpu_pct"] or 0)
                                 - stats["client_cpu_pct"])
    stats["tool"] = tool
    return stats


def _wrk(base_url, token, requests, concurrency, duration) -> dict:
    threads = min(concurrency, 2)  # 2 cores: more client threads only steal the server's CPU
    seconds = max(1, round(duration))  # wrk takes whole seconds
    with tempfile.NamedTemporaryFile("w", suffix=".req", delete=False) as f:
        path = f.name
    try:
        write_requests(requests, path)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        out = subprocess.run(
            niced(["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds}s",
             "--timeout", "60s", "-s", LUA, base_url, "--", path, str(threads), token or "-"]),
            capture_output=True, text=True, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        os.unlink(path)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out.stdout}\n{out.stderr}")
    raw = json.loads(line[len("WRKJSON "):])
    elapsed = raw["duration_us"] / 1e6
    return {"requests": raw["requests"], "duration_s": elapsed,
            "rps": raw["requests"] / elapsed if elapsed else 0.0,
            "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "mean_ms": raw["mean_us"] / 1000,
            "max_ms": raw["max_us"] / 1000,
            "bad_status": raw["bad_status"] + raw["socket_errors"] + raw["timeouts"],
            "sample": raw["sample"],
            "client_cpu_s": (after.ru_utime + after.ru_stime)
            - (before.ru_utime + before.ru_stime)}
