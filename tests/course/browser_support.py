"""Finding a real browser and a JupyterLab server for the browser tests.

The tests drive the system's Chromium (Debian's `chromium` package, or the executable named
by CHROMIUM_PATH) through Python's playwright; they never download a browser. Where none is
installed they skip with a reason naming the install command, except when
COURSE_REQUIRE_BROWSER=1 (set by .ci/run): then a missing browser is a failure.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = ROOT / "_build" / "test-artifacts"  # screenshots and timings; ignored by git
REQUIRED = os.environ.get("COURSE_REQUIRE_BROWSER") == "1"
INSTALL = "sudo apt-get install chromium (Debian/Ubuntu), or set CHROMIUM_PATH to a Chromium or Chrome executable"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-sync",
    # without these, Chromium keeps trying to reach Google's servers on a closed network
    "--disable-background-networking", "--disable-component-update", "--disable-quic",
]


def unavailable(reason):
    """Skip loudly, or fail where a browser is required (CI)."""
    if REQUIRED:
        pytest.fail(f"{reason} (COURSE_REQUIRE_BROWSER=1, so this is a failure)", pytrace=False)
    pytest.skip(f"BROWSER TESTS NOT RUN: {reason}")


def find_chromium():
    named = os.environ.get("CHROMIUM_PATH")
    if named:
        if not (Path(named).is_file() and os.access(named, os.X_OK)):
            unavailable(f"CHROMIUM_PATH={named} is not an executable file")
        return named
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    unavailable(f"no Chromium found; install it with: {INSTALL}")


def launch(playwright):
    return playwright.chromium.launch(executable_path=find_chromium(), headless=True, args=CHROMIUM_ARGS)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on loopback, no token, serving `root`; stopped by its process id."""

    def __init__(self, root, tmp):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        tmp = Path(tmp)
        env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
               "JUPYTER_DATA_DIR": str(tmp / "data")}
        env.pop("MPLBACKEND", None)
        # One BLAS thread per kernel: this run checks for errors and live widgets, not numbers, and two
        # test workers' kernels each spinning two BLAS threads on two cores only wait on each other.
        env["OPENBLAS_NUM_THREADS"] = "1"
        settings = tmp / "user-settings"
        (settings / "@jupyterlab" / "apputils-extension").mkdir(parents=True, exist_ok=True)
        # no "get notified about Jupyter news?" toast over the screenshots
        (settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings").write_text(
            '{"fetchNews": "false", "checkForUpdates": false}')
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
               "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=",
               "--ServerApp.disable_check_xsrf=True", "--LabApp.expose_app_in_browser=True",
               "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
               f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}", f"--LabApp.user_settings_dir={settings}"]
        self.log = open(tmp / "lab.log", "wb")
        self.proc = subprocess.Popen(cmd, cwd=root, env=env, start_new_session=True,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=5):
                    break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"JupyterLab did not start; see {tmp / 'lab.log'}")
                time.sleep(0.3)

    def stop(self):
        """Stop the server and its kernels: they run in the process group started above."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def watch_console(page):
    """Collect console errors, uncaught page errors and requests that left the machine."""
    seen = {"errors": [], "network": []}
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(f"uncaught: {e}"))
    return seen
