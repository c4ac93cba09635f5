"""Start and stop the servers under test: gunicorn with the repository's gunicorn.conf.py."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
# `--priority N` runs the servers and wrk at nice -N: on a machine shared with other jobs,
# both Rollcall and the baseline then get the cores more steadily (ratios stay fair).
PRIORITY = {"boost": 0}


def niced(command: list[str]) -> list[str]:
    boost = PRIORITY["boost"]
    return ["nice", "-n", str(-boost), *command] if boost else command


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One gunicorn on a free port; stop() ends it (SIGTERM, then SIGKILL after 15 s)."""

    def __init__(self, app: str, env: dict, log_path: str, ready_path: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {**os.environ, **env, "BIND": f"127.0.0.1:{self.port}"}
        self.log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            niced([os.path.join(BIN, "gunicorn"), "--config", "gunicorn.conf.py",
                   "--no-control-socket", app]),
            cwd=ROOT, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        self._wait(ready_path)

    def _wait(self, path: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}): see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer {path} in 30 s: see {self.log.name}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def flask_cli(args: list[str], env: dict) -> str:
    """Run `flask --app app …` in the repository; returns its stdout."""
    out = subprocess.run([os.path.join(BIN, "flask"), "--app", "app", *args], cwd=ROOT,
                         env={**os.environ, **env}, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout
