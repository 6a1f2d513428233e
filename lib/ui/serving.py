"""The app's page, told where its server is before the front end starts (``serve.py`` serves it).

Opened at a page's address (``/KPI_trends``, a link from the meeting chat, a bookmark, F5), Streamlit's
front end first looks for its server under that address, asks ``/KPI_trends/_stcore/health``, gets a
404 and only then tries the root, about 0.1 s later (streamlit/streamlit#7074). The front end reads the
server's address from ``window.__streamlit.BACKEND_BASE_URL`` when a page sets it before the front
end loads (the hook Streamlit keeps for hosts that embed it); this middleware writes that one line
into every page opened at its own address, so the root is asked first and the wait is gone
(measured in README, "Speed, memory, soak"). A page without it (a proxy's stricter Content-Security-
Policy blocking inline scripts) works as before, with the wait.
"""

from __future__ import annotations

from streamlit import config

HTML_TYPE = b"text/html"
# A page's address is one step below the app's root (``/KPI_trends``, or ``/floorline/KPI_trends`` behind a
# proxy), so the root is the page's own folder: "./" from the page, whatever prefix a proxy adds or strips.
# The script is the same on every page and carries nothing from the request.
SERVER_ROOT_SCRIPT = (
    b"<script>window.__streamlit=Object.assign({},window.__streamlit,"
    b'{BACKEND_BASE_URL:new URL("./",location.href).href});</script>'
)
# Headers that would make the server answer with part of the page or a compressed one, where the line is
# written in: a page the browser navigates to is asked for whole and uncompressed (5 KB; Streamlit sends its
# root page uncompressed too).
WHOLE_PAGE_DROPS = {b"accept-encoding", b"range", b"if-range"}


class ServerRootInPage:
    """ASGI middleware: a page opened at its own address gets the server-root script at the top of its head.

    Only a GET the browser navigates with (it accepts HTML) to an address one step below the root, answered
    200 with HTML, is rewritten; every other response (scripts, styles, the websocket, uploads, the root
    page, whose first probe is already right) passes through untouched and unbuffered.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not _opens_a_page(scope):
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() not in WHOLE_PAGE_DROPS]}
        held: dict = {}
        parts: list[bytes] = []

        async def send_with_script(message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                is_html = headers.get(b"content-type", b"").startswith(HTML_TYPE)
                if message["status"] == 200 and is_html and b"content-encoding" not in headers:
                    held["start"] = message
                    return
            elif message["type"] == "http.response.body" and "start" in held:
                parts.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                page = b"".join(parts).replace(b"<head>", b"<head>" + SERVER_ROOT_SCRIPT, 1)
                start = held["start"]
                start["headers"] = [
                    (k, str(len(page)).encode() if k.lower() == b"content-length" else v) for k, v in start["headers"]
                ]
                await send(start)
                await send({"type": "http.response.body", "body": page})
                return
            await send(message)

        await self.app(scope, receive, send_with_script)


def _opens_a_page(scope) -> bool:
    """The browser asks for HTML (not a script, an image or the health check) at a page's address."""
    accepts_html = any(k.lower() == b"accept" and HTML_TYPE in v for k, v in scope.get("headers", []))
    return accepts_html and len(_path_below_root(scope["path"])) == 1


def _path_below_root(path: str) -> list[str]:
    """The path's steps below the app's root: ``server.baseUrlPath`` taken off when the server sees it."""
    steps = [step for step in path.split("/") if step]
    base = [step for step in (config.get_option("server.baseUrlPath") or "").split("/") if step]
    return steps[len(base) :] if base and steps[: len(base)] == base else steps
