"""Browser tests: the real server and Debian's Chromium, driven by Playwright.

- ``server`` (once per test session and worker): a fresh data directory with a file database
  (SQLite, whatever DATABASE_URL says), migrated, with the cache table, the shipped support policy
  and the demo data, then ``caredesk serve --no-worker`` (gunicorn) on a free local port.
- ``browser`` (per test module, so that no Playwright event loop is alive while other tests of the
  same worker use the ORM): Chromium from ``CAREDESK_CHROMIUM`` or ``/usr/bin/chromium``. A browser
  is never downloaded: without the binary the tests are skipped and say why (``./dev test`` and
  ``.ci/run`` install Debian's ``chromium``).
- ``page``: a fresh context per test; on failure a full-page screenshot goes to
  ``test-output/<test name>.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
DEMO_PASSWORD = "caredesk-demo-2026"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.e2e


def chromium_path() -> str | None:
    path = os.environ.get("CAREDESK_CHROMIUM") or "/usr/bin/chromium"
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    data_dir: Path
    env: dict[str, str]
    log: Path

    def manage(self, *args: str) -> str:
        """Run a ``caredesk`` command against the server's database (for setting up a flow)."""
        caredesk = str(Path(sys.executable).with_name("caredesk"))
        done = subprocess.run(
            [caredesk, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode:
            raise RuntimeError(f"caredesk {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def python(self, code: str) -> str:
        """Run Python with Django set up against the server's database (to set up a flow's data)."""
        return _run_python(self.env, "import django; django.setup()\n" + code)


def _run_python(env: dict[str, str], code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode:
        raise RuntimeError(f"server set-up failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"caredesk serve exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise RuntimeError(f"caredesk serve did not answer within {timeout} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    data_dir = Path(tempfile.mkdtemp(prefix="caredesk-e2e-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        CAREDESK_ENV="development",
        CAREDESK_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
        # gunicorn 27's control socket defaults to one path per user: two servers would share it.
        GUNICORN_CMD_ARGS="--no-control-socket",
    )
    port = _free_port()
    srv = Server(url=f"http://127.0.0.1:{port}", data_dir=data_dir, env=env, log=data_dir / "server.log")
    # One process for the four set-up commands (each Django start-up costs seconds).
    _run_python(
        env,
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', interactive=False, verbosity=0)\n"
        "call_command('createcachetable')\n"
        "call_command('policy', 'load')\n"
        "call_command('demo')\n",
    )
    caredesk = str(Path(sys.executable).with_name("caredesk"))
    with srv.log.open("wb") as log:
        proc = subprocess.Popen(
            [caredesk, "serve", "--bind", f"127.0.0.1:{port}", "--no-worker", "--web-workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(srv.url, proc, srv.log)
        yield srv
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(
            "no Chromium at CAREDESK_CHROMIUM or /usr/bin/chromium; install Debian's package "
            "(apt-get install chromium; ./dev test does it as root). Browsers are never downloaded."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _screenshot_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:150] + ".png"


@pytest.fixture
def new_page(browser: Any, server: Server, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``new_page()`` opens a fresh browser context (its own cookies: one per user) and page. Every
    page a test opened is screenshotted if the test fails."""
    contexts: list[Any] = []

    def open_page(*, timezone_id: str = "America/New_York", viewport: tuple[int, int] = (1280, 900)) -> Any:
        context = browser.new_context(
            base_url=server.url,
            timezone_id=timezone_id,
            locale="en-US",
            viewport={"width": viewport[0], "height": viewport[1]},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    failed = any(
        getattr(request.node, f"rep_{when}", None) and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    if failed:
        OUTPUT.mkdir(exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                suffix = "" if (i, j) == (0, 0) else f"-{i}-{j}"
                name = _screenshot_name(request.node.nodeid).removesuffix(".png") + suffix + ".png"
                try:
                    page.screenshot(path=str(OUTPUT / name), full_page=True)
                except Exception as exc:
                    sys.stderr.write(f"screenshot of {name} failed: {exc}\n")
    for context in contexts:
        context.close()


def log_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label(re.compile("e-?mail|user", re.I)).first.fill(email)
    page.get_by_label(re.compile("password", re.I)).fill(password)
    page.get_by_role("button", name=re.compile("log in|sign in", re.I)).click()
    page.wait_for_url(lambda url: "/login/" not in url)
