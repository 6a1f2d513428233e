"""The app's page, told where its server is before the front end starts (``serve.py`` serves it).

Opened at a page's address (``/KPI_trends``, a link from the meeting chat, a bookmark, F5), Streamlit's
front end first looks for its server under that address, asks ``/KPI_trends/_stcore/health``, gets a
404 and only then tries the root, about 0.1 s later (streamlit/streamlit#7074). The front end reads the
server's address from ``window.__streamlit.BACKEND_BASE_URL`` when a page sets it before the front
end loads (the hook Streamlit keeps for hosts that embed it); this middleware writes that one line
into every HTML page the server sends, so every address asks the root first and the wait is gone
(measured in README, "Speed, memory, soak"). A page without it (a proxy's stricter Content-Security-
Policy blocking inline scripts) works as before, with the wait.
"""

from __future__ import annotations

import json

from streamlit import config

HTML_TYPE = b"text/html"


def server_root_script(base_url_path: str) -> bytes:
    """The inline script naming the server's root: the page's origin plus ``server.baseUrlPath``."""
    root = "/" + "/".join(part for part in base_url_path.split("/") if part)
    root = root.rstrip("/") + "/"
    # The path is the operator's setting, never a visitor's; escaped anyway so it cannot close the script.
    quoted = json.dumps(root).replace("<", "\\u003c")
    return (
        b"<script>window.__streamlit=Object.assign({},window.__streamlit,"
        + f"{{BACKEND_BASE_URL:new URL({quoted},location.href).href}});".encode()
        + b"</script>"
    )


class ServerRootInPage:
    """ASGI middleware: GET responses that are HTML get the server-root script at the top of their head.

    The request's Accept-Encoding is dropped for a page the browser navigates to, so the HTML comes back
    uncompressed and the line can be written in (Streamlit itself sends its root page uncompressed); every
    other response (scripts, styles, the websocket, uploads) passes through untouched and unbuffered.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not _navigates(scope):
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        held: dict = {}
        parts: list[bytes] = []

        async def send_with_script(message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                is_html = headers.get(b"content-type", b"").startswith(HTML_TYPE)
                if is_html and b"content-encoding" not in headers:
                    held["start"] = message
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                parts.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = _with_script(b"".join(parts))
                start = held["start"]
                start["headers"] = [
                    (k, str(len(page)).encode() if k.lower() == b"content-length" else v) for k, v in start["headers"]
                ]
                await send(start)
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, send_with_script)


def _navigates(scope) -> bool:
    """A browser asking for a page (not a script, an image or the health check) says it accepts HTML."""
    return any(k.lower() == b"accept" and HTML_TYPE in v for k, v in scope.get("headers", []))


def _with_script(page: bytes) -> bytes:
    script = server_root_script(config.get_option("server.baseUrlPath") or "")
    return page.replace(b"<head>", b"<head>" + script, 1)
