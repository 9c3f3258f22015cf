"""Shared fixtures: the real default database (built once per session) and the
real gRPC server on port 0 with a real channel."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from server.engine import Engine
from server.load import build_default
from server.rpc.app import create_server
from server.store.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def default_db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("db") / "termbridge.db"
    store = Store(path)
    build_default(store)
    store.close()
    return str(path)


@pytest.fixture(scope="session")
def engine(default_db) -> Engine:
    return Engine(default_db)


@pytest.fixture(scope="session")
def channel(engine):
    server, port = create_server("127.0.0.1:0", engine)
    server.start()
    with grpc.insecure_channel(f"127.0.0.1:{port}") as ch:
        grpc.channel_ready_future(ch).result(timeout=10)
        yield ch
    server.stop(None)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "t.db")
    yield s
    s.close()
