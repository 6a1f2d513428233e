"""The store's tests run on both backends: the DuckDB file (the default) and a real PostgreSQL server."""

import pytest


@pytest.fixture(scope="session", params=["duckdb", "postgresql"])
def backend(request) -> str:
    return request.param
