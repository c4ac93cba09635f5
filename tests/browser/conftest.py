"""Browser tests: Debian's chromium driven by Playwright against a live server.

Run with `.venv/bin/pytest -m browser tests/browser`. Screenshots go to /tmp/rollcall-shots.
"""

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("playwright")

from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from models import db  # noqa: E402
from services import custom_fields  # noqa: E402
from services import settings  # noqa: E402
from services import tokens  # noqa: E402

SHOTS = Path("/tmp/rollcall-shots")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": DESKTOP}


@dataclass
class LiveServer:
    app: object
    url: str

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture
def live_server(tmp_path):
    """The app on 127.0.0.1 in a thread, with a file database, CSRF on and async request log."""
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "browser-tests",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/rollcall.sqlite",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": True,
        "REQUEST_LOG_ASYNC": True,
    })
    # The policy production will send: pages must work without inline script or style.
    app.after_request(_strict_csp)
    settings.invalidate()
    custom_fields.invalidate()
    tokens.reset_touch_cache()
    tokens.forget_cached()
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            app.extensions["rollcall_request_log"].flush()
            db.session.remove()
            db.engine.dispose()
        settings.invalidate()
        custom_fields.invalidate()


def _strict_csp(response):
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'")
    return response


@pytest.fixture
def console_errors(page):
    """Browser console errors (CSP violations among them); a test ends with none.

    Form pages answer invalid input with 400, which Chromium logs as a failed load: expected.
    """
    errors = []

    def record(message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    page.on("console", record)
    yield errors
    assert errors == []


@pytest.fixture
def shoot(page):
    """Save a full-page screenshot at desktop width and at phone width."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def shoot(name: str) -> None:
        page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)

    return shoot
