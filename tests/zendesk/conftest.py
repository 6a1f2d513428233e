"""The local Zendesk every pull test reads: the hand-built tickets served as the API documents them."""

from __future__ import annotations

import pytest
from zendesk_tickets import fake_zendesk


@pytest.fixture
def zendesk(httpserver):
    fake = fake_zendesk()
    fake.install(httpserver)
    return fake
