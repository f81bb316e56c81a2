"""`painterly studio` as a browser meets it: a real server process on a free port, spoken to over HTTP.

The safety promises (Host and Origin checks, the upload limit, ids that cannot name a path, the CLI's image
loader on every upload) and the studio folder outliving the server."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import pytest
from PIL import Image

START_TIMEOUT = 120  # importing torch on a busy 2-core machine takes a while
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "painterly" / "examples"


class Studio:
    """A `painterly studio` subprocess; stopped by its PID (SIGTERM: the server stops its job and exits)."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.folder = folder
        self.stderr: str | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "painterly", "studio", "--no-browser", "--port", "0", "--out", str(folder), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        line = self.process.stdout.readline()  # "painterly studio: http://127.0.0.1:PORT/ (...)"
        found = re.search(r"http://([0-9.]+):(\d+)/(?:\?token=([\w.~-]+))?", line)
        if not found:
            self.stop()
            raise AssertionError(f"the studio did not start: {line!r} {self.stderr}")
        self.address, self.port, self.token = found[1], int(found[2]), found[3]
        self.host = f"{self.address}:{self.port}"
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if self.request("GET", "/api/state")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.stop()
                raise AssertionError("the studio server did not answer")
            time.sleep(0.2)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout=60):
        """(status, headers, body) of one request, with exactly the headers given (Host defaults to ours; a shared
        studio's token is sent unless an Authorization header is given)."""
        connection = http.client.HTTPConnection(self.address, self.port, timeout=timeout)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            token = {"Authorization": f"token {self.token}"} if self.token else {}
            headers = {"Host": self.host, **token, **(headers or {})}
            if body is not None and "Transfer-Encoding" not in headers:
                headers.setdefault("Content-Length", str(len(body)))
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            if body is not None:
                if headers.get("Transfer-Encoding") == "chunked":
                    for start in range(0, len(body), 1 << 20):
                        chunk = body[start : start + (1 << 20)]
                        connection.send(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    connection.send(b"0\r\n\r\n")
                else:
                    connection.send(body)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, data=None, headers: dict | None = None):
        body = None if data is None else json.dumps(data).encode()
        extra = {"Content-Type": "application/json"} if data is not None else {}
        status, _, raw = self.request(method, path, body, {**extra, **(headers or {})})
        return status, json.loads(raw) if raw else None

    def upload(self, name: str, data: bytes, kind: str = "photo", headers: dict | None = None):
        body, content_type = multipart({"kind": kind}, ("file", name, data))
        status, _, raw = self.request("POST", "/api/uploads", body, {"Content-Type": content_type, **(headers or {})})
        return status, json.loads(raw)

    def events(self, timeout: float = 60) -> EventStream:
        return EventStream(self, timeout)

    def wait_for(self, job_id: str, states=("done", "stopped", "failed", "cancelled"), timeout: float = 300) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, job = self.json("GET", f"/api/jobs/{job_id}")
            assert status == 200
            if job["state"] in states:
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not reach {states}: {job}")

    def stop(self) -> None:
        """SIGTERM, then wait (reading what it printed into self.stderr); killed if it takes over a minute."""
        if self.stderr is not None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self.stderr = self.process.communicate()


class EventStream:
    """`/api/events` read as the page's EventSource reads it: (event name, JSON data) in the order sent."""

    def __init__(self, studio: Studio, timeout: float) -> None:
        self.connection = http.client.HTTPConnection(studio.address, studio.port, timeout=timeout)
        self.connection.request("GET", "/api/events", headers={"Host": studio.host})
        self.response = self.connection.getresponse()
        assert self.response.status == 200 and self.response.getheader("Content-Type").startswith("text/event-stream")

    def next(self) -> tuple[str, object]:
        name, data = None, []
        while True:
            line = self.response.readline().decode()
            assert line, "the event stream ended"
            line = line.rstrip("\r\n")
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
            elif not line and name:
                return name, json.loads("\n".join(data))

    def close(self) -> None:
        self.connection.close()


def multipart(fields: dict, file: tuple[str, str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    name, filename, data = file
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels, with a few bytes of data: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    server = Studio(tmp_path_factory.mktemp("studio"))
    yield server
    server.stop()


def test_a_foreign_host_header_is_refused(studio):
    for host in ("evil.example", f"evil.example:{studio.port}", f"127.0.0.1.evil.example:{studio.port}"):
        status, _, body = studio.request("GET", "/api/state", headers={"Host": host})
        assert status == 400, host
        assert b"Host" in body
    for host in (f"localhost:{studio.port}", f"127.0.0.1:{studio.port}", f"[::1]:{studio.port}"):
        assert studio.request("GET", "/api/state", headers={"Host": host})[0] == 200, host


def test_a_foreign_origin_on_a_post_is_refused(studio):
    before = sorted(p.name for p in (studio.folder / "uploads").iterdir())
    for origin in ("http://evil.example", f"http://evil.example:{studio.port}", "null", f"https://{studio.host}"):
        status, body = studio.json("POST", "/api/examples/village.jpg", headers={"Origin": origin})
        assert status == 403, origin
        assert "cross-origin" in body["error"]
        status, _ = studio.upload("a.png", png_header_only(8, 8), headers={"Origin": origin})
        assert status == 403
    assert sorted(p.name for p in (studio.folder / "uploads").iterdir()) == before  # nothing was done
    status, record = studio.json("POST", "/api/examples/village.jpg", headers={"Origin": f"http://{studio.host}"})
    assert status == 201 and record["width"] == 384


def test_an_upload_over_the_limit_gets_413_and_the_server_keeps_serving(studio):
    big = os.urandom(30 * 10**6)
    status, body = studio.upload("big.jpg", big)  # Content-Length says 30 MB: refused before it is kept
    assert status == 413
    assert "25.0 MB" in body["error"] and "--max-upload-mb" in body["error"]
    # no Content-Length at all: the bytes are counted as they arrive
    payload, content_type = multipart({"kind": "photo"}, ("file", "big.jpg", big))
    status, _, raw = studio.request(
        "POST", "/api/uploads", payload, {"Content-Type": content_type, "Transfer-Encoding": "chunked"}
    )
    assert status == 413 and "upload limit" in json.loads(raw)["error"]
    assert not list((studio.folder / "uploads").glob(".incoming*"))
    assert studio.request("GET", "/api/state")[0] == 200


def test_a_path_traversal_id_gets_404(studio):
    status, record = studio.json("POST", "/api/examples/swirls.jpg")
    assert status == 201
    assert studio.request("GET", f"/api/uploads/{record['id']}/image")[0] == 200  # a real id works
    for path in (
        "/api/uploads/..%2F..%2F..%2Fetc%2Fpasswd/image",
        "/api/uploads/../../../etc/passwd",
        f"/api/uploads/{record['id']}%2F..%2F..%2Fuploads/image",
        f"/api/uploads/{record['id'].upper()}/image",
        f"/api/uploads/{record['id']}/..%2F{record['id']}.json",
        "/api/results/..%2F..%2Fuploads%2F" + record["id"] + ".png",
        "/api/results/....%2F%2Fetc%2Fpasswd.json",
        "/api/jobs/..%2F..%2Fetc%2Fpasswd/preview",
        "/api/examples/..%2F__init__.py",
        "/api/examples/..%2F..%2Fconfig.py",
        "/static/..%2Fserver.py",
        "/static/%2E%2E/server.py",
    ):
        status, _, body = studio.request("GET", path)
        assert status == 404, path
        assert b"root:" not in body and b"import" not in body


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("notes.txt", b"these are my notes, not a photo\n" * 20, "'notes.txt' is not an image file painterly can read"),
        ("cut.jpg", (EXAMPLES / "village.jpg").read_bytes()[:6000], "'cut.jpg' is truncated"),
        ("bomb.png", png_header_only(100_000, 100_000), "'bomb.png' is too large (over the limit of"),
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "(SVG is a vector format; convert it"),
        ("empty.png", b"", "'empty.png' is an empty file (0 bytes)"),
    ],
)
def test_a_bad_file_is_one_clear_400_and_the_server_keeps_serving(studio, name, data, message):
    status, body = studio.upload(name, data)
    assert status == 400
    assert message in body["error"]
    assert str(studio.folder) not in body["error"]  # the message names the user's file, not our temporary one
    assert not list((studio.folder / "uploads").glob(".incoming*"))
    assert studio.request("GET", "/api/state")[0] == 200


def test_bad_settings_are_a_400_naming_them(studio):
    _, photo = studio.json("POST", "/api/examples/village.jpg")
    _, painting = studio.json("POST", "/api/examples/mosaic.png")
    job = {"photo": photo["id"], "paintings": [painting["id"]]}
    for settings, message in (
        ({"size": -5}, "size must be a whole number from 1"),
        ({"size": "big"}, "size must be a whole number"),
        ({"style_weight": -1}, "style_weight must be zero or more"),
        ({"precision": "float8"}, "unknown precision 'float8'"),
        ({"weights": "/etc/passwd"}, "unknown setting 'weights'"),  # no path from the page reaches the engine
        ({"init": "/etc/passwd"}, "start from must be one of"),
        ({"object_scale": 0.5}, "object_scale must be at least 1"),
    ):
        status, body = studio.json("POST", "/api/jobs", {**job, "settings": settings})
        assert status == 400, settings
        assert message in body["error"], body
    status, body = studio.json("POST", "/api/jobs", {**job, "photo": "0" * 32})
    assert status == 400 and "photo is no longer on the server" in body["error"]
    status, body = studio.json("POST", "/api/jobs", {**job, "blend": [1, 2]})
    assert status == 400 and "2 style blend weights given for 1 style image(s)" in body["error"]


def test_jobs_queue_one_at_a_time_and_a_waiting_one_can_be_cancelled(studio):
    _, photo = studio.json("POST", "/api/examples/village.jpg")
    _, painting = studio.json("POST", "/api/examples/swirls.jpg")
    job = {"photo": photo["id"], "paintings": [painting["id"]], "settings": {"size": 64, "start_size": 0}}
    status, first = studio.json("POST", "/api/jobs", {**job, "settings": {**job["settings"], "iterations": 5000}})
    assert status == 201 and re.fullmatch(r"[0-9a-f]{32}", first["id"])
    status, second = studio.json("POST", "/api/jobs", job)
    assert status == 201 and second["state"] == "queued" and second["ahead"] == 1
    studio.wait_for(first["id"], states=("running",))
    stream = studio.events()
    try:  # a page's stream opens with every job, then each change in order: the cancel comes after the list
        name, jobs = stream.next()
        assert name == "jobs" and {j["id"]: j["state"] for j in jobs if j["id"] in (first["id"], second["id"])} == {
            first["id"]: "running",
            second["id"]: "queued",
        }
        status, second = studio.json("POST", f"/api/jobs/{second['id']}/stop")
        assert second["state"] == "cancelled"
        while True:
            name, job = stream.next()
            assert name == "job"
            if job["id"] == second["id"] and job["state"] != "queued":
                break
        assert job["state"] == "cancelled"
    finally:
        stream.close()
    studio.json("POST", f"/api/jobs/{first['id']}/stop")
    first = studio.wait_for(first["id"])
    assert first["state"] == "stopped" and first["result"] == first["id"]
    _, jobs = studio.json("GET", "/api/jobs")
    assert {j["id"]: j["state"] for j in jobs}[second["id"]] == "cancelled"


def test_results_survive_a_restart(tmp_path):
    server = Studio(tmp_path)
    try:
        _, photo = server.json("POST", "/api/examples/village.jpg")
        _, painting = server.json("POST", "/api/examples/mosaic.png")
        request = {
            "photo": photo["id"],
            "paintings": [painting["id"]],
            "settings": {"size": 64, "start_size": 0, "iterations": 3, "seed": 7, "style_weight": 50},
        }
        status, job = server.json("POST", "/api/jobs", request)
        assert status == 201
        job = server.wait_for(job["id"])
        assert job["state"] == "done" and job["iteration"] == 3, job
    finally:
        server.stop()
    assert not list(tmp_path.rglob(".*.tmp"))  # every write was atomic: no temporary file left

    server = Studio(tmp_path)
    try:
        status, results = server.json("GET", "/api/results")
        assert status == 200
        assert [r["id"] for r in results] == [job["id"]]
        entry = results[0]
        assert entry["state"] == "done" and entry["iterations_done"] == 3 and entry["size"] == [64, 48]
        assert entry["request"]["settings"]["style_weight"] == 50 and entry["request"]["photo"] == photo["id"]
        assert entry["uploads"][painting["id"]]["name"] == "mosaic.png"
        status, headers, png = server.request("GET", f"/api/results/{job['id']}.png")
        assert status == 200 and headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(png)).size == (64, 48)
        status, _, raw = server.request("GET", f"/api/results/{job['id']}.json")
        settings = json.loads(raw)
        assert settings["config"]["seed"] == 7 and settings["iterations_done"] == 3
        assert settings["content"] == str(tmp_path / "uploads" / f"{photo['id']}.png")  # the CLI's --resume reads it
        status, body = server.json("POST", f"/api/results/{job['id']}/resume")
        assert status == 400 and "only a stopped result can be resumed" in body["error"]
    finally:
        server.stop()


def test_without_the_extra_the_command_says_what_to_install(tmp_path):
    hide_starlette = (
        "import sys; sys.modules['starlette'] = None; from painterly.apps.cli import main; "
        f"sys.exit(main(['studio', '--no-browser', '--out', {str(tmp_path)!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", hide_starlette], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    hint = "painterly studio needs the studio extra: pip install 'painterly[studio]'"
    assert result.stderr == f"painterly: error: {hint}\n"


def test_another_host_prints_a_warning_and_is_its_own_host_header(tmp_path):
    server = Studio(tmp_path, "--host", "127.0.0.2")  # loopback still, but not the default: warned all the same
    try:
        assert server.request("GET", "/api/state")[0] == 200  # Host: 127.0.0.2:PORT
        assert server.request("GET", "/api/state", headers={"Host": f"localhost:{server.port}"})[0] == 200
        assert server.request("GET", "/api/state", headers={"Host": f"192.168.1.9:{server.port}"})[0] == 400
    finally:
        server.stop()
    assert "painterly: warning: --host 127.0.0.2 makes the studio reachable from other machines" in server.stderr


def test_a_shared_studio_serves_nothing_without_its_token(tmp_path):
    """Off the default loopback address the studio asks for a token: the URL it prints carries one; pages and
    the API answer 403 without it, 200 with it (header or cookie); the tokenised URL trades it for a cookie and
    sends the browser on without it. --allow-host adds a name other machines know the server by. (Loopback
    127.0.0.2 stands for a shared address here: the tests listen on loopback only.)"""
    server = Studio(tmp_path, "--host", "127.0.0.2", "--allow-host", "studio.test", "--token", "s3cret-token")
    try:
        assert server.token == "s3cret-token"
        named = {"Host": f"studio.test:{server.port}"}
        for path in ("/", "/static/studio.js", "/api/state", "/api/jobs", "/api/results", "/api/events"):
            status, _, body = server.request("GET", path, headers={**named, "Authorization": "token wrong"})
            assert status == 403 and b"shared with a token" in body, path
            wrong_port = {**named, "Authorization": "", "Cookie": "painterly-token-1=s3cret-token"}
            assert server.request("GET", path, headers=wrong_port)[0] == 403
        assert server.request("POST", "/api/examples/village.jpg", headers={"Authorization": ""})[0] == 403
        status, headers, _ = server.request("GET", "/?token=s3cret-token&x=1", headers={**named, "Authorization": ""})
        assert status == 303 and headers["location"] == "/?x=1"
        cookie = headers["set-cookie"].split(";")[0]
        assert cookie == f"painterly-token-{server.port}=s3cret-token" and "HttpOnly" in headers["set-cookie"]
        assert server.request("GET", "/api/state", headers={**named, "Authorization": "", "Cookie": cookie})[0] == 200
        assert server.request("GET", "/api/state", headers=named)[0] == 200  # the token header
        assert server.request("GET", "/api/state", headers={"Host": f"elsewhere:{server.port}"})[0] == 400
    finally:
        server.stop()


def test_a_token_is_made_for_a_shared_studio_and_bad_ones_are_one_line(tmp_path):
    from painterly.apps.studio.server import parse_args, studio_token
    from painterly.errors import PainterlyError

    assert studio_token(parse_args([])) is None  # loopback: as before
    made = studio_token(parse_args(["--host", "0.0.0.0"]))
    assert made and len(made) >= 24 and made != studio_token(parse_args(["--host", "0.0.0.0"]))
    assert studio_token(parse_args(["--token", "my-own-token"])) == "my-own-token"
    for bad in (["--token", "short"], ["--token", "has;semicolon"], ["--allow-host", "a/b"]):
        with pytest.raises(PainterlyError):
            parse_args(bad)


def test_the_loss_history_carries_every_term_so_its_parts_add_up_to_the_total(studio):
    """At a size where the hold applies the page's curve has a hold column, and the terms it draws sum to the
    total (they did not when the history kept content, style and tv only)."""
    from painterly.apps.studio.jobs import HISTORY_TERMS

    _, photo = studio.json("POST", "/api/examples/village.jpg")
    _, painting = studio.json("POST", "/api/examples/swirls.jpg")
    settings = {"size": 128, "start_size": 64, "start_iterations": 3, "iterations": 3, "hold_from": 2}
    request = {"photo": photo["id"], "paintings": [painting["id"]], "settings": settings}
    status, job = studio.json("POST", "/api/jobs", request)
    assert status == 201
    job = studio.wait_for(job["id"])
    assert job["state"] == "done"
    rows = [dict(zip(HISTORY_TERMS, row[1:])) for row in job["history"]]
    assert any(row["hold"] > 0 for row in rows)
    for row in rows:
        parts = sum(value for name, value in row.items() if name != "total")
        assert parts == pytest.approx(row["total"], rel=1e-4)


def test_hostile_bodies_get_a_4xx_and_leave_no_traceback_in_the_log(tmp_path):
    """A job body nested 30,000 deep (100,000 is over the size limit), one far over the job limit (sent without
    a length, so it must be counted), a JSON array, and an upload whose client goes away mid-body: each is a
    4xx or nothing at all, and the server's log holds no traceback."""
    server = Studio(tmp_path / "studio")
    try:
        json_headers = {"Content-Type": "application/json"}
        status, _, body = server.request("POST", "/api/jobs", b"[" * 30_000 + b"]" * 30_000, json_headers)
        assert status == 400 and b"nested more than" in body
        status, _, body = server.request("POST", "/api/jobs", b"[" * 100_000 + b"]" * 100_000, json_headers)
        assert status == 413
        huge = b'{"photo": "' + b"x" * (8 << 20) + b'"}'
        status, _, body = server.request("POST", "/api/jobs", huge, {**json_headers, "Transfer-Encoding": "chunked"})
        assert status == 413 and b"over 64 KB" in body
        status, _, body = server.request("POST", "/api/jobs", b"[1, 2]", json_headers)
        assert status == 400 and b"must be a JSON object" in body
        with socket.create_connection((server.address, server.port), timeout=10) as raw:
            raw.sendall(
                f"POST /api/uploads HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: multipart/form-data; "
                "boundary=x\r\nContent-Length: 100000\r\n\r\n".encode()
                + b"--x\r\n"
                + b"a" * 1000
            )
        time.sleep(0.5)
        assert server.request("GET", "/api/state")[0] == 200  # still serving
    finally:
        server.stop()
    assert "Traceback" not in server.stderr and "Exception in ASGI application" not in server.stderr, server.stderr


def test_a_huge_canvas_in_a_small_file_is_refused_before_it_is_decoded(studio):
    status, body = studio.upload("canvas.png", png_header_only(12_000, 12_000))  # 144 MP in a few bytes
    assert status == 400 and "the studio takes images up to 50 megapixels" in body["error"], body
    assert studio.request("GET", "/api/state")[0] == 200


def test_the_queue_has_a_limit(tmp_path):
    from painterly.apps.studio.jobs import MAX_WAITING

    server = Studio(tmp_path / "queue")
    try:
        _, photo = server.json("POST", "/api/examples/village.jpg")
        _, painting = server.json("POST", "/api/examples/swirls.jpg")
        job = {"photo": photo["id"], "paintings": [painting["id"]], "settings": {"size": 64, "iterations": 10**6}}
        answers = [server.json("POST", "/api/jobs", job) for _ in range(MAX_WAITING + 3)]
        statuses = [status for status, _ in answers]
        assert statuses.count(201) in (MAX_WAITING, MAX_WAITING + 1)  # the first may already be running
        assert statuses[-1] == 429 and "jobs are already waiting" in answers[-1][1]["error"]
    finally:
        server.stop()
