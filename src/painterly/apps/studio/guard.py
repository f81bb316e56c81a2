"""The studio's front door: which Host and Origin headers it answers, and the security headers on every response.

A local server is reachable by every web page the user visits, so a request whose Host header is not this
server's (a DNS-rebinding page names its own host) or a POST whose Origin names another site (a cross-site form
or fetch) is refused before any handler sees it.

Shared beyond loopback, the studio also asks for a token, as Jupyter does: the URL printed at start carries it
(?token=...); the first visit trades it for a cookie (HttpOnly, SameSite=Strict) and is sent on without it, so
it leaves the address bar; scripts may send `Authorization: token ...`. Nothing is served without it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
}


def allowed_hosts(host: str, port: int, extra_names: tuple[str, ...] = ()) -> set[str]:
    """The Host header values a browser sends for this server. A wildcard bind adds this machine's names;
    `extra_names` (--allow-host) the names other machines know it by."""
    names = {"localhost", "127.0.0.1", "[::1]", *(n.lower() for n in extra_names)}
    wildcard = host in ("0.0.0.0", "::", "")
    extra = [host] if not wildcard else []
    if wildcard:
        try:
            extra += [socket.gethostname(), socket.getfqdn()]
            extra += socket.gethostbyname_ex(socket.gethostname())[2]
        except OSError:
            pass
    for name in extra:
        try:
            name = f"[{name}]" if ipaddress.ip_address(name).version == 6 else name
        except ValueError:
            pass
        names.add(name.lower())
    return {f"{n}:{port}" for n in names} | (names if port == 80 else set())


class Guard:
    """ASGI middleware: refuses foreign Host headers (DNS rebinding) and foreign Origins on state-changing
    requests, and adds the security headers to every response."""

    def __init__(self, app, hosts: set[str], token: str | None = None, port: int = 0) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = {f"http://{h}" for h in hosts}
        self.token = token
        self.cookie = f"painterly-token-{port}"  # cookies ignore ports: one name per studio on a machine

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "").lower()
        if host not in self.hosts:
            return await _plain(send, 400, "unknown Host header: this studio answers only to its own address")
        origin = headers.get("origin")
        if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE") and origin is not None:
            if origin.lower() not in self.origins:
                return await _plain(send, 403, "cross-origin request refused")
        if self.token is not None:
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            offered = dict(query).get("token")
            if offered is not None and self._matches(offered) and scope.get("method") == "GET":
                rest = urlencode([(k, v) for k, v in query if k != "token"])
                return await self._trade_for_cookie(send, scope["path"] + (f"?{rest}" if rest else ""))
            if not self._authorised(headers):
                return await _plain(send, 403, "this studio is shared with a token: open the URL it printed at start")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.lower().encode(), v.encode()) for k, v in HEADERS.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self.token.encode())

    def _authorised(self, headers: dict[str, str]) -> bool:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "token" and self._matches(value.strip()):
            return True
        try:
            cookie = SimpleCookie(headers.get("cookie", "")).get(self.cookie)
        except Exception:  # a malformed Cookie header is no token
            return False
        return cookie is not None and self._matches(cookie.value)

    async def _trade_for_cookie(self, send, location: str) -> None:
        """The tokenised URL answered with the cookie and a redirect to the same page without the token."""
        cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        headers = [(b"location", location.encode("latin-1")), (b"set-cookie", cookie.encode()),
                   (b"content-length", b"0"), (b"cache-control", b"no-store")]  # fmt: skip
        await send({"type": "http.response.start", "status": 303, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


async def _plain(send, status: int, text: str) -> None:
    """A refusal written straight to ASGI: the guard sits outside Starlette, so it has no Response to use."""
    body = json.dumps({"error": text}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
