"""The engine: everything the service does, usable without gRPC. Servicers,
the CLI, batch jobs and tests all call this."""

from __future__ import annotations

from server.store.store import Store, StorePool


class Engine:
    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.pool = StorePool(db_path)

    @property
    def store(self) -> Store:
        """This thread's read-only store connection."""
        return self.pool.get()
