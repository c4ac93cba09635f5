"""A lean load generator in Python: raw http.client, keep-alive, one process per connection.

wrk (bench/lua/replay.lua) is the default generator; this one replays the same prepared
requests when wrk is missing, drives the ordered sequences that need per-request timings
(group growth), and serves as a cross-check that the generator is not the bottleneck.
A request is a (method, path, body or None) tuple.
"""

import http.client
import multiprocessing
import resource
import threading
import time
from urllib.parse import urlsplit


class Connection:
    """One keep-alive HTTP/1.1 connection with the bearer token on every request."""

    def __init__(self, base_url: str, token: str | None):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Accept": "application/scim+json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def send(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/scim+json; charset=utf-8"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()  # the server closed an idle keep-alive connection: retry once
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


def _worker(base_url, token, requests, duration, out):
    conn = Connection(base_url, token)
    latencies, bad, sample = [], 0, ""
    deadline = time.perf_counter() + duration
    i = 0
    while True:
        method, path, body = requests[i % len(requests)]
        i += 1
        began = time.perf_counter()
        status, payload = conn.send(method, path, body)
        ended = time.perf_counter()
        latencies.append(ended - began)
        if status >= 300:
            bad += 1
            sample = sample or f"{status} {payload[:300]!r}"
        if ended >= deadline:
            break
    conn.close()
    out.put((latencies, bad, sample))


def replay(base_url: str, token: str | None, requests: list, concurrency: int,
           duration: float) -> dict:
    """Send the requests round-robin from `concurrency` processes for `duration` seconds."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    if len(requests) < concurrency:
        requests = list(requests) * concurrency
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    procs = [ctx.Process(target=_worker, args=(base_url, token, requests[k::concurrency],
                                                duration, out)) for k in range(concurrency)]
    began = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get(timeout=duration + 120) for _ in procs]
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    latencies = sorted(x for lat, _, _ in results for x in lat)
    stats = summarize(latencies, elapsed)
    stats["bad_status"] = sum(b for _, b, _ in results)
    stats["sample"] = next((s for _, _, s in results if s), "")
    stats["client_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return stats


def sequence(base_url: str, token: str | None, requests: list, concurrency: int = 1) -> list:
    """Send each request once, in order, from `concurrency` threads.

    Returns [(index, seconds, status)] in completion order.
    """
    lock = threading.Lock()
    cursor = iter(enumerate(requests))
    timings: list = []

    def run():
        conn = Connection(base_url, token)
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                break
            index, (method, path, body) = item
            began = time.perf_counter()
            status, payload = conn.send(method, path, body)
            elapsed = time.perf_counter() - began
            with lock:
                timings.append((index, elapsed, status, payload[:300] if status >= 300 else b""))
        conn.close()

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return timings


def summarize(latencies: list, elapsed: float) -> dict:
    """Throughput and latency percentiles (ms) of sorted latencies in seconds."""
    n = len(latencies)

    def pct(p):
        return latencies[min(n - 1, int(p / 100 * n))] * 1000 if n else 0.0

    return {"requests": n, "duration_s": elapsed, "rps": n / elapsed if elapsed else 0.0,
            "p50_ms": pct(50), "p90_ms": pct(90), "p99_ms": pct(99),
            "mean_ms": sum(latencies) / n * 1000 if n else 0.0,
            "max_ms": latencies[-1] * 1000 if n else 0.0}
