"""An in-memory index of the store's current content, rebuilt when the content
changes. PRAGMA data_version (per connection) says cheaply whether anything was
written since this thread last looked; only then is the fingerprint read."""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

from server.store.store import Store

T = TypeVar("T")


class CurrentIndex(Generic[T]):
    def __init__(self, engine, build: Callable[[Store], T], fingerprint: Callable[[Store], object]) -> None:
        self.engine = engine
        self.build, self.fingerprint = build, fingerprint
        self._held: tuple[object, T] | None = None  # (fingerprint, index)
        self._lock = threading.Lock()
        self._seen = threading.local()

    def get(self) -> T:
        store = self.engine.store
        version = store.conn.execute("PRAGMA data_version").fetchone()[0]
        held = self._held
        if held is not None and getattr(self._seen, "version", None) == version:
            return held[1]
        with self._lock:
            current = self.fingerprint(store)
            if self._held is None or self._held[0] != current:
                self._held = (current, self.build(store))
            held = self._held
        self._seen.version = version
        return held[1]
