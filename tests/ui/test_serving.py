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

from lib.ui.serving import ServerRootInPage, server_root_script

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
        routes=[Route("/KPI_trends", page), Route("/static/app.js", script)],
        middleware=[Middleware(ServerRootInPage), Middleware(GZipMiddleware, minimum_size=100)],
    )
    return TestClient(app)


def test_a_page_the_browser_opens_names_the_servers_root_before_anything_else(client):
    response = client.get("/KPI_trends", headers={"Accept": "text/html,*/*", "Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response.text.startswith(
        "<!doctype html><html><head><script>window.__streamlit=Object.assign({},window.__streamlit,"
        '{BACKEND_BASE_URL:new URL("/",location.href).href});</script><title>Floorline</title>'
    )
    assert response.text.endswith("x" * 2000 + "</body></html>")
    assert int(response.headers["content-length"]) == len(response.content)
    assert "content-encoding" not in response.headers


def test_scripts_and_requests_that_are_not_pages_pass_untouched_and_still_compressed(client):
    asset = client.get("/static/app.js", headers={"Accept": "*/*", "Accept-Encoding": "gzip"})
    assert asset.headers["content-encoding"] == "gzip"
    assert asset.text == SCRIPT  # the client undoes the compression: the body is the script as sent

    fetched = client.get("/KPI_trends", headers={"Accept": "application/json", "Accept-Encoding": "gzip"})
    assert fetched.text == PAGE


def test_behind_a_proxy_the_root_is_the_base_url_path(client):
    before = config.get_option("server.baseUrlPath")
    config.set_option("server.baseUrlPath", "/floorline/")
    try:
        response = client.get("/KPI_trends", headers={"Accept": "text/html"})
    finally:
        config.set_option("server.baseUrlPath", before)
    assert 'BACKEND_BASE_URL:new URL("/floorline/",location.href).href' in response.text


@pytest.mark.parametrize(
    ("setting", "root"),
    [("", '"/"'), ("floorline", '"/floorline/"'), ("/a//b/", '"/a/b/"'), ("x</script>", '"/x\\u003c/script>/"')],
)
def test_the_root_is_one_absolute_path_that_cannot_close_the_script(setting, root):
    written = server_root_script(setting).decode()
    assert f"new URL({root},location.href)" in written
    assert written.count("</script>") == 1
