"""A sender's local code table as CSV (`curate propose --from`): columns
`code` and `display`, optionally `synonyms` (separated by `|`) and `frequency`
(how often the code occurs in the sender's data). Other columns are ignored."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from loaders.base import text_lines
from server.curation.propose import SourceEntry
from server.errors import LoadError


def read_local_table(path: str | Path) -> list[SourceEntry]:
    text = "\n".join(line for _, line in text_lines(path))
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("code", "display") if c not in (reader.fieldnames or [])]
    if missing:
        raise LoadError(path, 1, f"missing column(s) {', '.join(missing)}")
    out = []
    for row in reader:
        if not (row.get("code") or "").strip():
            raise LoadError(path, reader.line_num, "code is empty")
        try:
            frequency = int(row.get("frequency") or 0)
        except ValueError:
            raise LoadError(path, reader.line_num, f"frequency {row['frequency']!r} is not a whole number") from None
        synonyms = [s.strip() for s in (row.get("synonyms") or "").split("|") if s.strip()]
        out.append(SourceEntry(row["code"].strip(), (row.get("display") or "").strip(), synonyms, frequency))
    return out
