"""Shared by the loader tests: a full snapshot of what a store holds, and a real
server on port 0 over a test database."""

from __future__ import annotations

from contextlib import contextmanager

import grpc

from server.engine import Engine
from server.rpc.app import create_server
from termbridge.v1 import terminology_service_pb2 as pb, terminology_service_pb2_grpc as pb_grpc

TABLES = ("code_systems", "concepts", "designations", "hierarchy", "value_sets", "value_set_members",
          "map_sets", "map_entries", "audit_events")


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
