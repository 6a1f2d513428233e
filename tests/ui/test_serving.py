"""The server's root written into every page the app sends (lib/ui/serving.py), through real Starlette
middleware and a real ASGI client: the HTML Streamlit's static files send, and what must pass untouched."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from streamlit import config

from lib.ui.serving import ServerRootInPage

PAGE = "<!doctype html><html><head><title>Floorline</title></head><body>" + "x" * 2000 + "</body></html>"
SCRIPT = "window.__streamlit=" + "x" * 2000


def page(_request):
    return HTMLResponse(PAGE)


def script(_request):
    return Response(SCRIPT, media_type="text/javascript")


@pytest.fixture
def client():
    # Streamlit compresses inside its own middleware; the app's runs outside it, as st.App stacks them.
    app = Starlette(
        routes=[Route("/static/app.js", script), Route("/", page), Route("/{path:path}", page)],
        middleware=[Middleware(ServerRootInPage), Middleware(GZipMiddleware, minimum_size=100)],
    )
    return TestClient(app)


def test_a_page_opened_at_its_own_address_names_the_servers_root_before_anything_else(client):
    response = client.get("/KPI_trends", headers={"Accept": "text/html,*/*", "Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response.text.startswith(
        "<!doctype html><html><head><script>window.__streamlit=Object.assign({},window.__streamlit,"
        '{BACKEND_BASE_URL:new URL("./",location.href).href});</script><title>Floorline</title>'
    )
    assert response.text.endswith("x" * 2000 + "</body></html>")
    assert int(response.headers["content-length"]) == len(response.content)
    assert "content-encoding" not in response.headers


def test_scripts_fetches_and_parts_of_a_page_pass_untouched(client):
    asset = client.get("/static/app.js", headers={"Accept": "*/*", "Accept-Encoding": "gzip"})
    assert asset.headers["content-encoding"] == "gzip"  # still compressed
    assert asset.text == SCRIPT  # the client undoes the compression: the body is the script as sent

    assert client.get("/KPI_trends", headers={"Accept": "application/json"}).text == PAGE
    part = client.get("/KPI_trends", headers={"Accept": "text/html", "Range": "bytes=0-9"})
    assert part.status_code == 200  # asked for whole: the script is never cut off
    assert part.text.startswith("<!doctype html><html><head><script>")


@pytest.mark.parametrize(
    ("base_url_path", "address", "written"),
    [
        ("", "/KPI_trends", True),
        ("", "/", False),  # the root page's first probe is already the root
        ("", "/KPI_trends/deeper", False),
        ("floorline", "/floorline/KPI_trends", True),  # behind a proxy that keeps the prefix
        ("floorline", "/floorline", False),
    ],
)
def test_only_a_page_one_step_below_the_root_is_rewritten(client, base_url_path, address, written):
    before = config.get_option("server.baseUrlPath")
    config.set_option("server.baseUrlPath", base_url_path)
    try:
        response = client.get(address, headers={"Accept": "text/html"})
    finally:
        config.set_option("server.baseUrlPath", before)
    assert response.status_code == 200
    assert response.text.endswith("</body></html>")
    assert ("__streamlit" in response.text) is written
