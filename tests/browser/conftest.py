"""Fixtures for the browser test: JupyterLab started as `make course` starts it, and Chromium.

JupyterLab runs with the README's flags (``--ServerApp.ip=127.0.0.1 --ServerApp.root_dir=...
--no-browser``, token authentication on), plus a free port and a random token so the test can
log in. Its root is a temporary copy of ``notebooks/`` (the rest of the repository is linked
next to it, so relative paths still resolve): whatever the browser does, the committed notebooks
are never touched. User settings and workspaces go to temporary folders as well, so a lecturer's
own JupyterLab layout cannot change what the test sees.

Chromium is Debian's (``/usr/bin/chromium``) driven by Playwright for Python; no browser is
downloaded. Without Chromium or Playwright the test skips, except under CI (``CI`` set), where
it fails: CI must run it.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
JUPYTER = pathlib.Path(sys.executable).with_name("jupyter")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]
HOW_TO_ENABLE = (
    "run `sudo apt-get install chromium` (Debian/Ubuntu) and "
    "`pip install -e '.[test]'` (Playwright for Python) to enable the browser test"
)
# JupyterLab's news and update checks would try the internet; the course machine may have none.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test: `pytest -m "not browser"` leaves them out.

    Under pytest-xdist they all go to one worker process (the root conftest.py), so that one
    JupyterLab and one Chromium serve them all.
    """
    here = pathlib.Path(__file__).resolve().parent
    for item in items:
        if here in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser test: {HOW_TO_ENABLE}", pytrace=False)
    pytest.skip(f"{reason}: {HOW_TO_ENABLE}")


def chromium_executable() -> str | None:
    """Debian's Chromium, or None when it is not installed."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: where it is, how to log in, and the folder it serves."""

    base_url: str
    token: str
    root_dir: pathlib.Path
    log_path: pathlib.Path

    def url(self, path: str) -> str:
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}{path}{separator}token={self.token}"

    def api(self, path: str, method: str = "GET"):
        request = urllib.request.Request(
            f"{self.base_url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Stop every kernel the browser started (one notebook at a time keeps memory low)."""
        for session in self.api("/api/sessions"):
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def _copy_course(destination: pathlib.Path) -> pathlib.Path:
    """Copy notebooks/ under ``destination`` and link the rest of the repository beside it."""
    notebooks = destination / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_*"))
    for entry in ROOT.iterdir():
        if entry.name != "notebooks" and not entry.name.startswith("."):
            (destination / entry.name).symlink_to(entry)
    return notebooks


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = chromium_executable()
    if path is None:
        _unavailable("Chromium not found")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    return path


@pytest.fixture(scope="session")
def lab(chromium_path) -> Lab:
    """JupyterLab on a temporary copy of the notebooks, stopped (process group) at the end."""
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="course-browser-"))
    root_dir = _copy_course(workdir / "course")
    settings_dir = workdir / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        target = settings_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
        "JUPYTERLAB_WORKSPACES_DIR": str(workdir / "lab-workspaces"),
        "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
        "PYTHONUNBUFFERED": "1",
    }
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        str(JUPYTER),
        "lab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.root_dir={root_dir}",
        "--no-browser",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        # Test-only: window.jupyterapp lets the test run JupyterLab's own commands and read its
        # notebook model (JupyterLab's galata tests use the same switch).
        "--expose-app-in-browser",
    ]
    if os.geteuid() == 0:  # containers and CI run as root; JupyterLab refuses without this
        command.append("--allow-root")
    log_path = workdir / "jupyterlab.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Lab(f"http://127.0.0.1:{port}", token, root_dir, log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}:\n{server.log()}")
            try:
                server.api("/api/status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within 90 s:\n{server.log()}")
                time.sleep(0.5)
        yield server
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def browser(chromium_path):
    """Headless Chromium from the system, with a fresh, empty profile."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="course-chromium-")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts() -> pathlib.Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
