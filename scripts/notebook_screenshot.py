"""Screenshot docs/tutorial.ipynb in JupyterLab (real Chromium) while its first run paints: the live preview mid-run.

    python scripts/notebook_screenshot.py docs/images/notebook_live_preview.png

JupyterLab listens on 127.0.0.1 only, with a random token; the notebook is a copy in a temporary folder.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    output = Path(sys.argv[1] if len(sys.argv) > 1 else "notebook_live_preview.png")
    folder = Path(tempfile.mkdtemp(prefix="painterly-lab-"))
    notebook = nbformat.read(ROOT / "docs" / "tutorial.ipynb", as_version=4)
    for cell in notebook.cells:  # a fresh notebook, with the size raised in its one cell, as a reader would
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.source = cell.source.replace("SIZE = 96", "SIZE = 256")
    nbformat.write(notebook, folder / "tutorial.ipynb")
    token, port = secrets.token_hex(16), free_port()
    lab = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}", "--allow-root"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            url = f"http://127.0.0.1:{port}/lab/tree/tutorial.ipynb?token={token}"
            for _ in range(60):
                try:
                    page.goto(url, timeout=5000)
                    break
                except Exception:  # the server is still starting
                    time.sleep(1)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60000)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000)
            # A notebook never run here asks for its kernel first: accept Python 3, wait for it, then run all cells.
            page.click("#jp-MainMenu >> text=Run")
            page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
            try:
                page.click(".jp-Dialog .jp-mod-accept", timeout=20000)
                page.wait_for_selector(".jp-Dialog", state="detached", timeout=20000)
                time.sleep(5)  # the kernel starts
                page.click("#jp-MainMenu >> text=Run")
                page.click("li.lm-Menu-item[data-command='runmenu:run-all']")
            except Exception:  # no dialog: the cells are running
                pass
            try:
                page.wait_for_selector(".painterly-live img", timeout=120000)
            except Exception:
                page.screenshot(path=str(output.with_name("notebook_failed.png")))
                raise
            shots, deadline = 0, time.monotonic() + 120
            while shots < 3 and time.monotonic() < deadline:  # a few shots while it paints; the last one is kept
                text = page.inner_text(".painterly-live pre")
                if text.startswith("done"):
                    break
                page.locator(".painterly-live").first.scroll_into_view_if_needed()
                page.screenshot(path=str(output))
                shots += 1
                time.sleep(2)
            browser.close()
    finally:
        lab.terminate()
        lab.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"wrote {output} ({shots} screenshots mid-run, the last kept)", file=sys.stderr)
    return 0 if shots else 1


if __name__ == "__main__":
    raise SystemExit(main())
