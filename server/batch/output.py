"""Where a job's results go, chunk by chunk in input order: part files in
DIR/.recode/ and a checkpoint (next chunk, input byte offset and line, the
size of every part, the counts so far, the job's identity: input, options and
content fingerprint) replaced atomically after each chunk. Resuming truncates
the parts to the checkpointed sizes and goes on from the offset, so the result
is byte-identical to an uninterrupted run. At the end the parts become
DIR/output.<ext>, DIR/rejects.<ext>, DIR/review_queue.jsonl and
DIR/summary.json (each by an atomic rename) and DIR/.recode/ goes away."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from server.batch import review_queue, summary as summary_mod
from server.batch.readers import Source, open_source
from server.batch.recode import ChunkResult, Recoder
from server.batch.snapshot import content_fingerprint
from server.batch.summary import Tally
from server.errors import FailedPrecondition
from server.store.store import Store

WORK_DIR = ".recode"
CHECKPOINT = "checkpoint.json"


def open_sink(input_path: str, out_dir: str, job, db_path: str, resume: bool) -> "Sink":
    """The job's input read for its format and header, checked against the job's
    options, and its sink (fresh, or resumed from the checkpoint)."""
    source = open_source(input_path, fhir=not (job.code_column or job.text_column))
    headers = Recoder(source, job, None)
    store = Store(db_path, readonly=True)
    fingerprint = content_fingerprint(store)
    store.close()
    return Sink(out_dir, source, (headers.header(), headers.rejects_header()), fingerprint,
                identity(source, job, fingerprint), resume)


def identity(source: Source, job, fingerprint: str) -> dict:
    stat = os.stat(source.path)
    return {"input": os.path.abspath(source.path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
            "format": source.fmt, "job": job.__dict__ | {"targets": list(job.targets)}, "content": fingerprint}


class Sink:
    def __init__(self, out_dir: str, source: Source, headers: tuple[bytes, bytes], fingerprint: str, ident: dict,
                 resume: bool) -> None:
        self.dir, self.source, self.fingerprint = Path(out_dir), source, fingerprint
        self.work = self.dir / WORK_DIR
        self.parts = {"output": self.work / f"output.{source.ext}", "rejects": self.work / f"rejects.{source.ext}",
                      "review": self.work / "review.jsonl"}
        self.state = self._resumed(ident) if resume else None
        self.resumed = self.state is not None
        if self.state is None:
            shutil.rmtree(self.work, ignore_errors=True)
            self.work.mkdir(parents=True)
            self.parts["output"].write_bytes(headers[0])
            self.parts["rejects"].write_bytes(headers[1])
            self.parts["review"].write_bytes(b"")
            self.state = {"identity": ident, "next_chunk": 0, "offset": source.data_start, "line": source.first_line,
                          "sizes": {}, "tally": Tally().as_dict(), "seconds": 0.0}
            self.state["sizes"] = self._sizes()
        for name, path in self.parts.items():
            os.truncate(path, self.state["sizes"][name])
        self.files = {name: open(path, "ab") for name, path in self.parts.items()}
        self.tally = Tally(self.state["tally"])

    def _resumed(self, ident: dict) -> dict | None:
        path = self.work / CHECKPOINT
        if not path.exists():
            return None
        state = json.loads(path.read_text())
        if state["identity"] != ident:
            changed = sorted(k for k in ident if state["identity"].get(k) != ident[k])
            raise FailedPrecondition("CHECKPOINT_MISMATCH", f"the checkpoint in {self.work} is for another "
                                     f"{', '.join(changed)}; run without --resume to start over",
                                     path=str(self.work), changed=", ".join(changed))
        return state

    def _sizes(self) -> dict:
        return {name: path.stat().st_size for name, path in self.parts.items()}

    def write(self, result: ChunkResult, seconds: float) -> None:
        """Append one chunk's results (the next in order) and checkpoint."""
        assert result.index == self.state["next_chunk"], "chunks arrive in order"
        self.files["output"].write(result.output)
        self.files["rejects"].write(result.rejects)
        self.files["review"].write(json.dumps(result.review).encode() + b"\n")  # one line per chunk
        for f in self.files.values():
            f.flush()
        self.tally.merge(Tally(result.tally))
        self.state.update(next_chunk=result.index + 1, offset=result.end, line=result.end_line,
                          sizes=self._sizes(), tally=self.tally.as_dict(), seconds=seconds)
        tmp = self.work / (CHECKPOINT + ".tmp")
        tmp.write_text(json.dumps(self.state))
        os.replace(tmp, self.work / CHECKPOINT)

    def finish(self, job, seconds: float) -> dict:
        for f in self.files.values():
            f.close()
        with open(self.parts["review"], encoding="utf-8") as fh:
            queue = review_queue.merge(item for line in fh for item in json.loads(line))
        data = summary_mod.summary(self.tally, queue, job, self.source, self.fingerprint, seconds)
        self._place("review_queue.jsonl", "".join(review_queue.dumps(i) + "\n" for i in queue).encode())
        self._place("summary.json", summary_mod.dumps(data).encode())
        os.replace(self.parts["output"], self.dir / self.parts["output"].name)
        os.replace(self.parts["rejects"], self.dir / self.parts["rejects"].name)
        shutil.rmtree(self.work)
        return data

    def _place(self, name: str, content: bytes) -> None:
        tmp = self.work / name
        tmp.write_bytes(content)
        os.replace(tmp, self.dir / name)
