"""Screenshots of `painterly studio` for the docs, and the preview interval it keeps at 512 px.

Starts a real studio server (a fresh folder under /tmp unless --folder), drives it in headless Chromium at
1280x800: a quick first result for the gallery, then the main run, photographed mid-run at the output size and
when done. While the main run is at its output size it records when the preview image changes and prints the
intervals. --narrow also photographs the finished page at 420x800, a screenful at a time, to check the narrow
layout.

    python scripts/studio_screenshots.py                      # -> docs/images/studio_running.png, studio_done.png
    python scripts/studio_screenshots.py --narrow /tmp/studio_narrow.png
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "images"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
# Records every change of the preview's src with the time and the size the page shows at that moment.
WATCH_PREVIEW = """() => {
  window.previewChanges = [];
  const img = document.getElementById("preview");
  new MutationObserver(() => window.previewChanges.push(
    [performance.now(), img.getAttribute("src"), document.getElementById("status-text").textContent]
  )).observe(img, {attributes: true, attributeFilter: ["src"]});
}"""


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "painterly", "studio", "--no-browser", "--port", "0", "--out", str(folder)],
        stdout=subprocess.PIPE,
        text=True,
    )
    found = re.search(r"(http://127\.0\.0\.1:\d+/)", process.stdout.readline())
    if not found:
        process.kill()
        raise SystemExit("the studio did not start")
    return process, found[1]


def paint(page: Page, photo: Path, painting: Path, size: int, quality: str) -> None:
    page.get_by_label("Photo", exact=True).set_input_files(photo)
    expect(page.locator("#photo-chosen")).to_be_visible()
    remove = page.locator("#paintings").get_by_role("button", name=re.compile("^Remove "))
    while remove.count():
        remove.first.click()
    page.get_by_label("Painting", exact=True).set_input_files(painting)
    expect(page.locator("#paintings li")).to_have_count(1)
    page.locator("#size").fill(str(size))
    page.locator("#quality").select_option(quality)
    page.get_by_role("button", name="Paint", exact=True).click()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photo", type=Path, default=SHARED / "tubingen.jpg")
    p.add_argument("--painting", type=Path, default=SHARED / "starry_night.jpg")
    p.add_argument("--first-painting", type=Path, default=ROOT / "src/painterly/examples/mosaic.png")
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--quality", default="draft", choices=("draft", "standard", "fine"))
    p.add_argument("--out-dir", type=Path, default=ROOT / "docs" / "images")
    p.add_argument("--folder", type=Path, help="studio folder [a new temporary one]")
    p.add_argument("--narrow", type=Path, help="also shots of the finished page at 420x800 (NAME_0.png, NAME_1.png...)")
    args = p.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="painterly-studio-"))
    process, url = start_server(folder)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(60_000)
            page.goto(url)
            expect(page.locator("#connection")).to_have_text("connected")
            started = time.monotonic()
            paint(page, args.photo, args.first_painting, 256, "draft")  # something in the gallery
            expect(page.locator("#badge")).to_have_text("Done", timeout=900_000)
            print(f"first result (256 px, draft): {time.monotonic() - started:.1f} s")

            page.evaluate(WATCH_PREVIEW)
            started = time.monotonic()
            paint(page, args.photo, args.painting, args.size, args.quality)
            final = re.compile(rf"\b{args.size}×\d+ px|\d+×{args.size} px")
            expect(page.locator("#status-text")).to_contain_text(final, timeout=1_800_000)
            while len([c for c in page.evaluate("window.previewChanges") if final.search(c[2])]) < 3:
                page.wait_for_timeout(200)  # a few previews at the output size: the picture has formed
            page.screenshot(path=args.out_dir / "studio_running.png")
            status = page.locator("#status-text").text_content()
            print(f"running screenshot at {time.monotonic() - started:.1f} s: {status}")
            expect(page.locator("#badge")).to_have_text("Done", timeout=1_800_000)
            print(f"main result ({args.size} px, {args.quality}): {time.monotonic() - started:.1f} s")
            page.locator("#plot").scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            page.screenshot(path=args.out_dir / "studio_done.png")

            changes = [c for c in page.evaluate("window.previewChanges") if "/preview?v=" in (c[1] or "")]
            at_size = [c[0] for c in changes if final.search(c[2])]
            gaps = [(b - a) / 1000 for a, b in zip(at_size, at_size[1:])]
            if gaps:
                print(
                    f"preview interval at {args.size} px, as the page saw it: {len(gaps)} intervals, "
                    f"median {statistics.median(gaps):.2f} s, max {max(gaps):.2f} s"
                )
            if args.narrow:  # one shot per screenful (a full-page shot would misplace the sticky Paint bar)
                page.set_viewport_size({"width": 420, "height": 800})
                height = page.evaluate("document.documentElement.scrollHeight")
                for i, top in enumerate(range(0, height, 700)):
                    page.evaluate(f"window.scrollTo(0, {top})")
                    page.wait_for_timeout(300)
                    page.screenshot(path=args.narrow.with_name(f"{args.narrow.stem}_{i}{args.narrow.suffix}"))
            browser.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    print(
        f"wrote {args.out_dir / 'studio_running.png'} and {args.out_dir / 'studio_done.png'} (studio folder {folder})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
