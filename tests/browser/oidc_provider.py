"""A real OpenID Connect provider on the loopback address, for signing in through the browser.

``oidc-provider-mock`` (PyPI, pinned in requirements-dev.txt) serves discovery, its own login
page, the token, userinfo and JWKS endpoints and an end-session page, and signs ID tokens with a
key it makes at start. Clients must register first (dynamic client registration), so the
provider checks Floorline's client secret and redirect URI as a real one would. Everything runs
in this test process, on 127.0.0.1, and stops with the test module.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import NamedTuple

import httpx
import oidc_provider_mock
import werkzeug.serving


class Client(NamedTuple):
    client_id: str
    client_secret: str


@contextlib.contextmanager
def running_oidc_provider(emails: list[str], other_users: dict[str, dict] | None = None) -> Iterator[str]:
    """Yield the provider's base URL (its issuer); each address is a user its login page offers, with a
    verified address. ``other_users``: more users its login page offers by name, with exactly these claims
    (an unverified address, a malformed one: what a provider that lets users set their address may send)."""
    users = [
        oidc_provider_mock.User(sub=email, claims={"email": email, "email_verified": True, "name": email.split("@")[0]})
        for email in emails
    ]
    users += [oidc_provider_mock.User(sub=sub, claims=claims) for sub, claims in (other_users or {}).items()]
    app = oidc_provider_mock.app(require_client_registration=True, require_nonce=True, user_claims=users)
    # Only warnings and errors in the test log, not a line per request.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def register_client(issuer: str, redirect_uri: str) -> Client:
    """Register an app with the provider, as a team registers Floorline with theirs."""
    response = httpx.post(
        f"{issuer}/oauth2/clients",
        json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "client_secret_basic"},
        timeout=10,
    )
    response.raise_for_status()
    body = response.json()
    return Client(body["client_id"], body["client_secret"])
