"""The studio end to end in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright): a real
`painterly studio` process, real uploads through the page's labelled file inputs, the real engine at 64 px."""

from __future__ import annotations

import base64
import socket
import time

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from painterly import StyleConfig
from test_studio_server import EXAMPLES, Studio

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP studio.test 127.0.0.2",  # a shared studio's name, reached over loopback only
]
ENGINE_TIMEOUT = 120_000  # ms: loading VGG-19 and the first iterations, on a busy shared 2-core machine


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """pytest-playwright's launch arguments: the system Chromium, never a downloaded one."""
    return {"executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    server = Studio(tmp_path_factory.mktemp("studio"), "--max-upload-mb", "2")
    yield server
    server.stop()


@pytest.fixture
def page_on(studio, page: Page):
    """The studio's page; afterwards every job still queued or running is stopped, so tests do not overlap."""
    page.set_default_timeout(30_000)
    page.goto(f"http://{studio.host}/")
    expect(page.locator("#connection")).to_have_text("connected")
    yield page
    _, jobs = studio.json("GET", "/api/jobs")
    for job in jobs:
        if job["state"] in ("queued", "running"):
            studio.json("POST", f"/api/jobs/{job['id']}/stop")
    for job in jobs:
        studio.wait_for(job["id"])


def choose_settings(page: Page, size: int, iterations: int) -> None:
    """One run at `size` px with `iterations` iterations (start size 0: no coarse-to-fine)."""
    page.locator("#size").fill(str(size))
    page.get_by_text("More", exact=True).click()
    page.locator("#start-size").fill("0")
    page.locator("#iterations").fill(str(iterations))


def preview_sources(page: Page, wanted: int, timeout: float) -> list[str]:
    """The preview image's src, each new value once, until `wanted` different ones have been shown."""
    preview = page.get_by_alt_text("Preview")
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while len(seen) < wanted:
        assert time.monotonic() < deadline, f"the preview changed only {len(seen)} times: {seen}"
        src = preview.get_attribute("src")
        if src and (not seen or src != seen[-1]):
            seen.append(src)
        page.wait_for_timeout(50)
    return seen


def test_paint_watch_the_preview_stop_and_download(page_on: Page, images):
    page = page_on
    # The slider starts at the engine's default exactly (a coarser step would round it: 0.47 -> 0.45).
    expect(page.locator("#strength")).to_have_value(str(StyleConfig().strength))
    page.get_by_label("Photo", exact=True).set_input_files(images / "tubingen.jpg")
    expect(page.locator("#photo-name")).to_have_text("tubingen.jpg (512×384)")
    page.get_by_label("Painting", exact=True).set_input_files(images / "starry_night.jpg")
    expect(page.locator("#paintings li")).to_have_count(1)
    choose_settings(page, size=64, iterations=2000)  # stopped long before the end
    expect(page.locator("#object-scale")).to_have_value("1")  # the engine's default: off
    page.get_by_label("A large subject of the painting").select_option("3")
    page.get_by_role("button", name="Paint", exact=True).click()

    sources = preview_sources(page, wanted=3, timeout=ENGINE_TIMEOUT / 1000)  # the first, then two changes
    assert all("/preview?v=" in src for src in sources)
    expect(page.locator("#status-text")).to_contain_text("64×48 px")
    expect(page.locator("#plot polyline")).to_have_count(3)  # total, style, content (no tv term)

    page.get_by_role("button", name="Stop", exact=True).click()
    expect(page.locator("#badge")).to_have_text("Stopped", timeout=ENGINE_TIMEOUT)
    expect(page.get_by_role("button", name="Resume", exact=True)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download", exact=True).click()
    with Image.open(download.value.path()) as png:
        assert png.format == "PNG" and png.size == (64, 48)
        png.verify()
    settings_url = page.get_by_role("link", name="settings (JSON)").evaluate("link => link.href")
    settings = page.request.get(settings_url).json()
    assert settings["studio"]["state"] == "stopped" and 0 < settings["iterations_done"] < 2000
    assert settings["config"]["object_scale"] == 3
    card = page.locator("#gallery .card").first
    expect(card).to_contain_text("tubingen.jpg × starry_night.jpg")

    page.locator("#size").fill("256")  # the gallery puts a result's settings back into the form
    page.locator("#object-scale").select_option("1")
    card.get_by_role("button", name="Restore the settings").click()
    expect(page.locator("#size")).to_have_value("64")
    expect(page.locator("#object-scale")).to_have_value("3")
    expect(page.locator("#iterations")).to_have_value("2000")
    expect(page.locator("#photo-name")).to_have_text("tubingen.jpg (512×384)")


DROP = """([id, name, base64]) => {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, {type: "image/jpeg"}));
  document.getElementById(id).dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
}"""


def test_a_dropped_photo_is_taken_and_a_text_file_shows_its_error_on_the_page(page_on: Page):
    page = page_on
    village = base64.b64encode((EXAMPLES / "village.jpg").read_bytes()).decode()
    page.evaluate(DROP, ["photo-drop", "dropped.jpg", village])  # a file dropped on the Photo box is taken
    expect(page.locator("#photo-name")).to_have_text("dropped.jpg (384×288)")
    photo = page.get_by_label("Photo", exact=True)
    photo.set_input_files(files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo\n" * 50}])
    expect(page.get_by_role("alert")).to_have_text("'notes.txt' is not an image file painterly can read")
    photo.set_input_files(files=[{"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff" * 3_000_000}])
    expect(page.get_by_role("alert")).to_contain_text("over the studio's upload limit of 2.0 MB (--max-upload-mb)")
    expect(page.locator("#photo-name")).to_have_text("dropped.jpg (384×288)")  # the bad files changed nothing
    page.get_by_role("button", name="Paint", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Choose at least one painting.")


def test_a_second_job_waits_in_the_queue_and_a_reload_reattaches(page_on: Page):
    page = page_on
    page.get_by_role("button", name="example village").click()
    page.get_by_role("button", name="example swirls").click()
    expect(page.locator("#paintings li")).to_have_count(1)
    choose_settings(page, size=64, iterations=5000)
    paint = page.get_by_role("button", name="Paint", exact=True)
    paint.click()
    expect(page.locator("#badge")).to_have_text("Painting")
    paint.click()
    expect(page.locator("#badge")).to_have_text("Queued")
    expect(page.locator("#status-text")).to_have_text("waiting: 1 job ahead in the queue")
    expect(page.locator("#queue li")).to_have_count(2)

    page.reload()  # the page finds its job again (kept by id in localStorage) with its inputs
    expect(page.locator("#badge")).to_have_text("Queued")
    expect(page.locator("#status-text")).to_have_text("waiting: 1 job ahead in the queue")
    expect(page.locator("#photo-name")).to_have_text("village.jpg (384×288)")

    page.get_by_role("button", name="Stop", exact=True).click()  # a waiting job is cancelled
    expect(page.locator("#badge")).to_have_text("Cancelled", timeout=ENGINE_TIMEOUT)


def test_after_a_server_restart_the_page_reconnects_and_forgets_the_old_servers_jobs(page: Page, tmp_path):
    """The event stream's opening list is the page's whole picture of the queue: jobs the restarted server does
    not list are gone, not shown as painting forever; its results, kept in the folder, stay in the gallery."""
    with socket.socket() as probe:  # a free port, so the second server can take the same address
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    first = Studio(tmp_path, "--port", str(port))
    try:
        page.set_default_timeout(30_000)
        page.goto(f"http://{first.host}/")
        expect(page.locator("#connection")).to_have_text("connected")
        page.get_by_role("button", name="example village").click()
        page.get_by_role("button", name="example swirls").click()
        choose_settings(page, size=64, iterations=5000)
        page.get_by_role("button", name="Paint", exact=True).click()
        expect(page.locator("#badge")).to_have_text("Painting", timeout=ENGINE_TIMEOUT)
        page.get_by_role("button", name="Paint", exact=True).click()
        expect(page.locator("#queue li")).to_have_count(2)
    finally:
        first.stop()  # SIGTERM: the running job stops and keeps its best image, the waiting one is cancelled
    expect(page.locator("#connection")).to_have_text("reconnecting to the studio server…")

    second = Studio(tmp_path, "--port", str(port))
    try:
        expect(page.locator("#connection")).to_have_text("connected", timeout=ENGINE_TIMEOUT)
        expect(page.locator("#queue li")).to_have_count(0)
        expect(page.locator("#badge")).to_be_hidden()
        expect(page.locator("#gallery li")).to_have_count(1)  # the stopped job's result, read from the folder
    finally:
        second.stop()


def test_a_shared_studio_paints_from_its_tokenised_url_and_refuses_without_it(browser, tmp_path):
    """A studio shared off the default address, known to other machines as studio.test (mapped to loopback
    127.0.0.2 here: no other address is ever a target): the URL it prints, with the host name swapped in as a
    user on another machine would, paints at 64 px; the same pages and API without the token get 403."""
    server = Studio(tmp_path / "shared", "--host", "127.0.0.2", "--allow-host", "studio.test")
    try:
        assert server.token, "a shared studio prints a URL with its token"
        base = f"http://studio.test:{server.port}"
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{base}/?token={server.token}")
        assert page.url == f"{base}/"  # the token traded for a cookie, and out of the address bar
        expect(page.locator("#connection")).to_have_text("connected")
        page.get_by_label("Photo", exact=True).set_input_files(EXAMPLES / "village.jpg")
        expect(page.locator("#photo-name")).to_have_text("village.jpg (384×288)")
        page.get_by_label("Painting", exact=True).set_input_files(EXAMPLES / "swirls.jpg")
        expect(page.locator("#paintings li")).to_have_count(1)
        choose_settings(page, size=64, iterations=3)
        page.get_by_role("button", name="Paint", exact=True).click()
        expect(page.locator("#badge")).to_have_text("Done", timeout=ENGINE_TIMEOUT)
        context.close()

        stranger = browser.new_context()
        page = stranger.new_page()
        for path in ("/", "/static/studio.js", "/api/state", "/api/results"):
            response = page.goto(base + path)
            assert response.status == 403, path
        status = page.evaluate("() => fetch('/api/examples/village.jpg', {method: 'POST'}).then((r) => r.status)")
        assert status == 403  # the page's own script, from the studio's origin, without the cookie
        stranger.close()
    finally:
        server.stop()


def test_paint_pressed_while_the_uploads_are_in_flight_waits_for_them_then_paints(page_on: Page, images):
    """Choosing a photo and a painting and pressing Paint at once: the page says it waits for the uploads, then
    paints with them (it used to do nothing at all). The uploads are held back by the test until Paint is down."""
    page = page_on
    held: list = []
    page.route("**/api/uploads", lambda route: held.append(route))
    page.get_by_label("Photo", exact=True).set_input_files(images / "tubingen.jpg")
    page.get_by_label("Painting", exact=True).set_input_files(images / "starry_night.jpg")
    choose_settings(page, size=64, iterations=3)
    page.get_by_role("button", name="Paint", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Waiting for the uploads to finish")
    for _ in range(100):  # the photo's upload is held; the painting's is chosen after it and waits its turn
        if held:
            held.pop(0).continue_()
        page.wait_for_timeout(50)
    expect(page.locator("#badge")).to_have_text("Done", timeout=ENGINE_TIMEOUT)
    expect(page.locator("#photo-name")).to_have_text("tubingen.jpg (512×384)")
