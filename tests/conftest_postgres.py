"""The ``postgres_url`` fixture: a real PostgreSQL server for the whole session.

Import it into ``tests/conftest.py`` with ``from tests.conftest_postgres import *``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.postgres_server import PostgresNotFound, PostgresServer

__all__ = ["postgres_server", "postgres_url"]

TEST_DATABASE = "relgraph_test"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 (free port), stopped and deleted at the end.

    Skips when the server binaries are missing, except on CI (``CI=true``),
    where the tests must run and a missing server is a failure.
    """
    try:
        server = PostgresServer.start()
    except PostgresNotFound as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {error}", pytrace=False)
        pytest.skip(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """``postgresql://postgres@127.0.0.1:PORT/relgraph_test``: an empty database."""
    return postgres_server.create_database(TEST_DATABASE)
