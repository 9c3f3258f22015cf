"""`termbridge recode --engine spark`: the same job on Apache Spark.

The driver publishes an immutable snapshot of the database (plus its match
index) and ships both to the executors with SparkContext.addFile; cuts the
input into the same chunks as the local job (byte ranges); executors re-code
their chunks with the same Recoder (pyspark mapInPandas, one Engine per Python
worker over the read-only snapshot) and write each chunk's results as files;
the driver then coalesces them, in chunk order, into the single-file layout of
the local job (server.batch.output), so both produce the same bytes.

INPUT and --out must be on a filesystem every executor sees at the same path
(local in local[N] mode; NFS/EFS/Lustre-style shared storage on a cluster).
Nothing from the rows reaches Spark's logs: tasks log nothing."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import sys
import time
from pathlib import Path

from server.batch import readers
from server.batch.output import open_sink
from server.batch.recode import ChunkResult, Recoder
from server.batch.resolve import Job
from server.batch.snapshot import publish
from server.store.store import Store

SPARK_DIR = ".recode-spark"
SCHEMA = "chunk long, files string"
_executor: dict = {}  # per Python worker: snapshot name -> Recoder


def snapshot_with_index(db_path: str) -> tuple[Path, Path]:
    """The published snapshot of db_path and its match index folder beside it."""
    from server.match import index as match_index
    from server.match.service import build_index
    snapshot = publish(db_path, f"{db_path}.snapshots")
    built = match_index.index_dir(str(snapshot))
    source = match_index.index_dir(db_path)
    if not built.exists():
        if source.exists():
            shutil.copytree(source, built)  # same content, same index
        else:
            store = Store(snapshot, readonly=True)
            build_index(store, str(snapshot))
            store.close()
    return snapshot, built


def run_spark(input_path: str, out_dir: str, job: Job, db_path: str, master: str, chunk_rows: int) -> dict:
    from pyspark.sql import SparkSession
    started = time.perf_counter()
    sink = open_sink(input_path, out_dir, job, db_path, resume=False)
    source = sink.source
    snapshot, index = snapshot_with_index(db_path)
    work = Path(out_dir).resolve() / SPARK_DIR
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    chunks = list(readers.chunks(source, chunk_rows, source.data_start, source.first_line))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master(master).appName("termbridge-recode")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate())
    try:
        spark.sparkContext.setLogLevel("WARN")
        spark.sparkContext.addFile(str(snapshot))
        spark.sparkContext.addFile(str(index), recursive=True)
        slices = spark.sparkContext.parallelize([tuple(c) for c in chunks], max(1, min(len(chunks), 64)))
        frame = spark.createDataFrame(slices, "index long, start long, end long, first_line long, end_line long")
        answers = spark.sparkContext.broadcast(_answers(frame, snapshot.name, source, job))
        task = _task(snapshot.name, source, job, str(work), answers)
        done = dict(frame.mapInPandas(task, SCHEMA).collect())
    finally:
        spark.stop()
    for chunk in chunks:
        sink.write(_read_result(chunk, done[chunk.index]), time.perf_counter() - started)
    shutil.rmtree(work)
    return sink.finish(job, time.perf_counter() - started)


def _answers(frame, snapshot_name: str, source: readers.Source, job: Job) -> dict:
    """Every distinct element of the input resolved once, spread over the executors
    (FHIR resources are resolved as their chunks meet them)."""
    if source.fmt == "fhir":
        return {}

    def keys_of(frames):
        import pandas as pd
        recoder = Recoder(source, job, None)
        for frame in frames:
            found = set()
            for row in frame.itertuples(index=False):
                found |= recoder.keys(readers.read_chunk(source, readers.Chunk(*(int(v) for v in row))))
            yield pd.DataFrame(sorted(found), columns=["kind", "a", "b"])

    def resolve(frames):
        import pandas as pd
        resolver = _recoder(snapshot_name, source, job).resolver
        for frame in frames:
            found = resolver.answers(list(frame.itertuples(index=False, name=None)))
            yield pd.DataFrame({"answer": [pickle.dumps(item) for item in found.items()]})

    keys = frame.mapInPandas(keys_of, "kind string, a string, b string").distinct()
    keys = keys.repartition(2 * frame.sparkSession.sparkContext.defaultParallelism)
    return dict(pickle.loads(row.answer) for row in keys.mapInPandas(resolve, "answer binary").collect())


def _task(snapshot_name: str, source: readers.Source, job: Job, work: str, answers):
    def recode_partition(frames):
        import pandas as pd
        recoder = _recoder(snapshot_name, source, job)
        recoder.resolver.preload(answers.value)
        for frame in frames:
            done = []
            for row in frame.itertuples(index=False):
                chunk = readers.Chunk(*(int(v) for v in row))
                result = recoder.chunk(chunk, readers.read_chunk(source, chunk))
                done.append((chunk.index, _write_result(result, work)))
            yield pd.DataFrame(done, columns=["chunk", "files"])
    return recode_partition


def _recoder(snapshot_name: str, source: readers.Source, job: Job) -> Recoder:
    from pyspark import SparkFiles
    from server.batch.runner import recoder
    found = _executor.get(snapshot_name)
    if found is None:
        found = _executor[snapshot_name] = recoder(SparkFiles.get(snapshot_name), source, job)
    return found


def _write_result(result: ChunkResult, work: str) -> str:
    stem = os.path.join(work, f"chunk-{result.index:08d}")
    for suffix, data in ((".out", result.output), (".rej", result.rejects),
                         (".json", json.dumps({"end": result.end, "end_line": result.end_line, "tally": result.tally,
                                               "review": result.review}).encode())):
        with open(stem + suffix + ".tmp", "wb") as fh:
            fh.write(data)
        os.replace(stem + suffix + ".tmp", stem + suffix)
    return stem


def _read_result(chunk: readers.Chunk, stem: str) -> ChunkResult:
    meta = json.loads(Path(stem + ".json").read_text())
    return ChunkResult(chunk.index, meta["end"], meta["end_line"], Path(stem + ".out").read_bytes(),
                       Path(stem + ".rej").read_bytes(), meta["tally"], meta["review"])
