"""Shared by the loader tests: a fixture release loaded into a fresh database, a
writable copy of a release, a full snapshot of what a store holds, and a real
server on port 0 over a test database."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest

from server.engine import Engine
from server.load import run_load
from server.rpc.app import create_server
from server.store.store import Store
from termbridge.v1 import terminology_service_pb2 as pb, terminology_service_pb2_grpc as pb_grpc

TABLES = ("code_systems", "concepts", "designations", "hierarchy", "value_sets", "value_set_members",
          "map_sets", "map_entries", "audit_events")


def loaded_release(fmt: str, release: Path):
    """A module-scoped fixture: (store, summaries) of loading `release` as `fmt`
    into a new database. Use as `loaded = loaded_release("loinc-csv", RELEASE)`."""
    @pytest.fixture(scope="module")
    def loaded(tmp_path_factory):
        store = Store(tmp_path_factory.mktemp(fmt) / "t.db")
        yield store, run_load(store, fmt, release)
        store.close()
    return loaded


def release_copy(release: Path, tmp_path: Path, name: str) -> Path:
    """A writable copy of a fixture release folder, under a new folder name."""
    out = tmp_path / name
    shutil.copytree(release, out)
    return out


def snapshot(store) -> dict:
    """Every row of every content table: equal snapshots mean an identical store."""
    return {t: [tuple(r) for r in store.query(f"SELECT * FROM {t} ORDER BY 1, 2, 3")] for t in TABLES}


@contextmanager
def terminology_stub(db_path):
    """TerminologyService over `db_path`, through a real server and channel."""
    server, port = create_server("127.0.0.1:0", Engine(str(db_path)))
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield pb_grpc.TerminologyServiceStub(channel)
    finally:
        server.stop(None)


def expand(stub, url: str, version: str = "") -> dict[str, str]:
    """code -> display of a value set's whole expansion, following page tokens."""
    out, token = {}, ""
    while True:
        response = stub.ExpandValueSet(pb.ExpandValueSetRequest(url=url, version=version, page_size=100,
                                                                page_token=token))
        out.update({c.code: c.display for c in response.contains})
        token = response.next_page_token
        if not token:
            return out
