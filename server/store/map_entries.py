"""The one INSERT into map_entries, shared by the map-set writer (a loaded file's
rows) and curation (a curator's new entry)."""

from __future__ import annotations

from typing import Iterable


def insert_sql(columns: Iterable[str]) -> str:
    """INSERT of a map_entries row with these columns (names come from code, never from input)."""
    columns = tuple(columns)
    return f"INSERT INTO map_entries ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
