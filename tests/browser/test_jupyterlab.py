"""What a learner sees: lesson 01 in JupyterLab, run in a real browser (headless Chromium).

The test opens the lesson in a JupyterLab server, runs every cell the way a learner does ("Run All
Cells"), checks that no cell shows an error, then moves the keep-alive explorer's slider and checks that
the simulation re-ran and the plot was redrawn. It needs Debian's ``chromium`` and the ``playwright``
package (whose own browser download is not used); CI installs both, and a laptop without them skips it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
LESSON = "01-cold-start-anatomy.ipynb"

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.runs_long,  # about 20 s: collected first (tests/conftest.py)
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a copy of the lessons (autosave must not touch the repository)."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks",
                    ignore=shutil.ignore_patterns("lab[0-9]*", "build", ".ipynb_checkpoints"))
    port = _free_port()
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
               "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
               f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status", timeout=1)
            break
        except OSError:
            assert server.poll() is None, "JupyterLab exited while starting"
            assert time.monotonic() < deadline, "JupyterLab did not start within 60 s"
            time.sleep(0.3)
    yield base
    os.killpg(server.pid, 15)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, 9)


@pytest.mark.timeout(600)
def test_lesson_01_runs_in_jupyterlab_and_its_slider_redraws_the_plot(jupyterlab, tmp_path):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{jupyterlab}/lab/tree/notebooks/{LESSON}")
        page.wait_for_function("window.jupyterapp && document.querySelector('.jp-Notebook')", timeout=60_000)
        page.wait_for_function(
            "window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus === 'idle'",
            timeout=180_000, polling=500)
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        # Run All has finished when no cell is queued or running ("[*]") and the kernel is idle again.
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-InputArea-prompt')].map(p => p.textContent);
                return prompts.length > 0 && prompts.every(t => !t.includes('*'))
                    && window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus === 'idle';
            }""", timeout=240_000, polling=500)
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
        assert tracebacks == [], tracebacks[:1]

        explorer = page.locator(".widget-vbox").filter(has=page.locator(".widget-image")).last
        explorer.scroll_into_view_if_needed()
        summary = explorer.locator(".widget-html-content")
        image = explorer.locator(".widget-image")
        before_text, before_png = summary.inner_text(), image.get_attribute("src")
        handle = explorer.locator(".noUi-handle").first
        handle.focus()
        for _ in range(5):
            handle.press("ArrowRight")
        page.wait_for_function("([el, old]) => el.textContent !== old",
                               arg=[summary.element_handle(), before_text], timeout=30_000)
        assert summary.inner_text() != before_text
        page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                               arg=[image.element_handle(), before_png], timeout=30_000)
        page.screenshot(path=str(tmp_path / "lesson01.png"), full_page=False)
        browser.close()
