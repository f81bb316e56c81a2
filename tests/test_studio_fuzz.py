"""The studio's API under 2,000 random requests (methods, paths, ids, headers and bodies) on loopback: never a 500,
never a traceback in the log, and the server's memory stays bounded. Seeded, so a failure can be replayed."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from test_studio_server import Studio, multipart, png_header_only

REQUESTS = 2000
SECONDS = 240  # bounded: the run stops early rather than hold the suite
PATHS = [
    "/", "/static/studio.js", "/static/{name}", "/api/state", "/api/uploads", "/api/uploads/{id}",
    "/api/uploads/{id}/{name}", "/api/examples/{name}", "/api/jobs", "/api/jobs/{id}", "/api/jobs/{id}/stop",
    "/api/jobs/{id}/preview", "/api/results", "/api/results/{id}/resume", "/api/results/{id}.png",
    "/api/results/{id}.json", "/api/results/{id}/thumb",
]  # fmt: skip
NAMES = ["village.jpg", "..", "%2e%2e%2fetc%2fpasswd", "image", "thumb", "x" * 300, "\u00e9", "", "studio.css"]


def random_id(rng: random.Random) -> str:
    return rng.choice(
        ["0" * 32, "f" * 32, "../../etc", "%00", "z" * 32, "".join(rng.choices("0123456789abcdef", k=32))]
    )


def random_json(rng: random.Random, depth: int = 0):
    kinds = ["int", "float", "text", "none", "bool"] + (["list", "dict"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, -1, 1, 64, 2**63, -(2**70), 10**6])
    if kind == "float":
        return rng.choice([0.5, -1e308, 1e308, 1e-320])
    if kind == "text":
        return rng.choice(["", "lbfgs", "auto", "conv4_2", "x" * 1000, "\u0000", "../../etc/passwd", "none"])
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "list":
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ["photo", "paintings", "blend", "mask", "settings", "size", "iterations", "strength", "init", "x"]
    return {rng.choice(keys): random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def random_request(rng: random.Random, server: Studio) -> tuple[str, str, bytes | None, dict]:
    path = rng.choice(PATHS).format(id=random_id(rng), name=rng.choice(NAMES))
    if rng.random() < 0.2:
        path += rng.choice(["?v=1", "?token=x", "?a=%ff", "#frag", "?" + "q" * 2000])
    method = rng.choice(["GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"])
    headers: dict = {}
    body = None
    roll = rng.random()
    if method == "POST" and roll < 0.4:
        body = json.dumps(random_json(rng)).encode()
        headers["Content-Type"] = rng.choice(["application/json", "text/plain", "application/json; charset=x"])
    elif method == "POST" and roll < 0.7:
        data = rng.choice([b"", b"GIF89a" * 10, png_header_only(rng.randint(1, 20000), rng.randint(1, 20000))])
        body, content_type = multipart(
            {"kind": rng.choice(["photo", "painting", "mask", "x"])}, ("file", "f.png", data)
        )
        headers["Content-Type"] = rng.choice([content_type, "multipart/form-data", "multipart/form-data; boundary="])
    elif method == "POST":
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 3000)))
        headers["Content-Type"] = rng.choice(["application/json", "application/octet-stream"])
    if rng.random() < 0.15:
        headers["Host"] = rng.choice(["evil.test", "", f"localhost:{server.port}", "a" * 500])
    if rng.random() < 0.15:
        headers["Origin"] = rng.choice(["http://evil.test", "null", f"http://{server.host}"])
    if rng.random() < 0.1 and body is not None:
        headers["Content-Length"] = rng.choice(["-1", "abc", "99999999999", "0"])
    return method, path, body, headers


def resident_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_random_requests_never_get_a_500_or_a_traceback_and_memory_stays_bounded(tmp_path):
    rng = random.Random(20261203)
    server = Studio(tmp_path / "fuzz", "--max-upload-mb", "2")
    statuses: dict[int, int] = {}
    try:
        server.json("POST", "/api/examples/village.jpg")
        start, baseline = time.monotonic(), resident_mb(server.process.pid)
        peak = baseline
        for number in range(REQUESTS):
            if time.monotonic() - start > SECONDS:
                break
            method, path, body, headers = random_request(rng, server)
            try:
                status, _, _ = server.request(method, path, body, headers, timeout=30)
            except (OSError, ValueError):  # the server may close a connection it refuses (a lying length)
                continue
            statuses[status] = statuses.get(status, 0) + 1
            assert status < 500, (number, method, path, headers, body[:200] if body else None)
            if number % 100 == 0:
                peak = max(peak, resident_mb(server.process.pid))
        _, jobs = server.json("GET", "/api/jobs")
        for job in jobs:
            server.json("POST", f"/api/jobs/{job['id']}/stop")
        answered = sum(statuses.values())
        print(f"fuzz: {answered} answered, by status {dict(sorted(statuses.items()))}; {baseline:.0f} -> {peak:.0f} MB")
        assert sum(statuses.values()) >= 1500, statuses  # most requests were answered
        assert peak - baseline < 600, (baseline, peak)  # MB: no body or image is buffered whole
    finally:
        server.stop()
    assert "Traceback" not in server.stderr and "Exception in ASGI" not in server.stderr, server.stderr[-3000:]
