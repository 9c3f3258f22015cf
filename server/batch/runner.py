"""`termbridge recode` on one machine: the input cut into chunks of a fixed
number of records, re-coded by a pool of worker processes (each with its own
Engine, read-only), results written in input order with a checkpoint after
each chunk, a progress bar with rows/s and ETA on stderr.

Output depends only on the input, the options and the content version: not
on --workers, --chunk-rows, or where a resumed run was interrupted."""

from __future__ import annotations

import gc
import multiprocessing
from multiprocessing.managers import BaseManager
import sys
import time
from dataclasses import dataclass

from tqdm import tqdm

from server.batch import readers
from server.batch.labels import Labeler
from server.batch.output import Sink, open_sink
from server.batch.recode import Recoder
from server.batch.resolve import Job, Resolver
from server.errors import TermbridgeError
from server.systems import ICD10CM

DEFAULT_CHUNK_ROWS = 5000


@dataclass
class Options:
    workers: int = 1
    resume: bool = False
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    progress: bool = True


def recoder(db_path: str, source: readers.Source, job: Job, engine=None) -> Recoder:
    """A Recoder over `engine` (default: an Engine of its own), its indexes loaded
    (forked workers share them)."""
    from server.engine import Engine
    from server.labels import Element
    engine = engine or Engine(db_path)
    warm_up = [lambda: engine.translate_code(ICD10CM, "Z59.41", job.targets),
               lambda: engine.match_texts(["depression"], job.targets)]
    if job.labels:
        warm_up.append(lambda: engine.label_elements([Element(codings=((ICD10CM, "Z59.41"),))]))
    for call in warm_up:
        try:
            call()
        except TermbridgeError:
            pass  # content without that part: nothing to load
    return Recoder(source, job, Resolver(engine, job), Labeler(engine) if job.labels else None)


_worker: Recoder | None = None


class Answers(dict):
    """Resolutions every worker reads and adds to (in a manager process)."""

    def get_many(self, keys) -> list:
        return [self.get(k) for k in keys]


class AnswersManager(BaseManager):
    pass


AnswersManager.register("Answers", Answers, exposed=("get_many", "update"))


def _reconnect(db_path: str) -> None:
    """In a forked worker: the parent's loaded Engine, with connections of its own
    (an SQLite connection must not cross a fork)."""
    from server.store.store import StorePool
    _worker.resolver.engine.pool = StorePool(db_path)


def _process(chunk: readers.Chunk):
    return _worker.chunk(chunk, readers.read_chunk(_worker.source, chunk))


def run(input_path: str, out_dir: str, job: Job, db_path: str, options: Options, engine=None) -> dict:
    """Runs (or resumes) the job; returns summary.json's content. `engine`: one
    already loaded over db_path (tests, embedding), else the job opens its own."""
    started = time.perf_counter()
    sink = open_sink(input_path, out_dir, job, db_path, options.resume)
    source, state = sink.source, sink.state
    before = state["seconds"]
    chunks = readers.chunks(source, options.chunk_rows, state["offset"], state["line"], state["next_chunk"])
    global _worker
    _worker = recoder(db_path, source, job, engine)
    with progress_bar(source, state, options.progress) as advance:
        if options.workers <= 1:
            _drain(map(_process, chunks), sink, advance, started, before)
        else:
            fork = multiprocessing.get_context("fork")
            gc.freeze()  # the loaded indexes stay shared with the workers (no copy-on-write by the collector)
            with AnswersManager(ctx=fork) as manager:
                _worker.resolver.shared = manager.Answers()
                with fork.Pool(options.workers, _reconnect, (db_path,)) as pool:
                    _drain(pool.imap(_process, chunks), sink, advance, started, before)
    return sink.finish(job, before + time.perf_counter() - started)


def _drain(results, sink: Sink, advance, started: float, before: float) -> None:
    for result in results:
        sink.write(result, before + time.perf_counter() - started)
        advance(result)


class progress_bar:
    """tqdm over rows; the total is estimated from the bytes read so far (ETA)."""

    def __init__(self, source: readers.Source, state: dict, enabled: bool) -> None:
        self.source, self.state = source, state
        self.bar = tqdm(desc="recode", unit=" rows", unit_scale=True, file=sys.stderr,
                        disable=None if enabled else True, initial=state["tally"]["rows_in"])

    def __enter__(self):
        return self.advance

    def advance(self, result) -> None:
        done = result.end - self.source.data_start
        rows = self.state["tally"]["rows_in"]
        if done > 0:
            self.bar.total = max(rows, int(rows * (self.source.size - self.source.data_start) / done))
        self.bar.update(result.tally["rows_in"])

    def __exit__(self, *exc) -> None:
        self.bar.close()
