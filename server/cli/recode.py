"""`termbridge recode`: batch re-coding of CSV/TSV/NDJSON/FHIR Bulk NDJSON files,
on this machine or on Apache Spark; `termbridge curate import-queue`: a job's
review queue into a map set's draft."""

from __future__ import annotations

import os

import click

from server.cli.main import as_option, cli_errors, db_option
from server.store.store import Store


@click.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for output.<ext>, rejects.<ext>, review_queue.jsonl and summary.json.")
@click.option("--code-column", default="", help="Column (CSV/TSV) or member (NDJSON) holding the code.")
@click.option("--system", default="", help="Code system of every code (URI or alias: icd10cm, snomed, loinc ...).")
@click.option("--system-column", default="", help="Column or member holding each code's system.")
@click.option("--text-column", default="", help="Column or member holding free text (matched when the code is "
              "empty).")
@click.option("--target", "targets", default="snomed,icd10cm,sdoh", show_default=True,
              help="Comma-separated target systems.")
@click.option("--labels", is_flag=True, help="Add sensitivity labels (confidentiality, sensitivity categories).")
@click.option("--workers", type=click.IntRange(1, 256), default=os.cpu_count() or 1, show_default="CPU count",
              help="Worker processes (local engine).")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint in --out (local engine).")
@click.option("--chunk-rows", type=click.IntRange(1), default=5000, show_default=True,
              help="Rows per chunk (the unit of work and of checkpoints; output does not depend on it).")
@click.option("--engine", "engine_name", type=click.Choice(["local", "spark"]), default="local", show_default=True,
              help="Run here, or on Apache Spark (pyspark: pip install 'termbridge[spark]').")
@click.option("--master", default="local[2]", show_default=True, help="Spark master URL (--engine spark).")
@db_option
def recode(input_path, out_dir, code_column, system, system_column, text_column, targets, labels, workers, resume,
           chunk_rows, engine_name, master, db_path) -> None:
    """Re-code INPUT (.csv, .tsv, .ndjson or .jsonl) into the target systems.

    CSV/TSV/NDJSON rows name their code with --code-column and --system or
    --system-column, and/or free text with --text-column. NDJSON without
    column options is FHIR Bulk Data (Condition, Observation, MedicationRequest,
    Procedure): every CodeableConcept gains codings, the originals stay.
    Malformed rows go to rejects.<ext> with line number and reason; rows out +
    rejected = rows in. Output is byte-identical for the same input, options and
    content version (summary.json's `seconds` and `per_second` aside)."""
    from server.batch.resolve import Job, parse_targets
    if system and system_column:
        raise click.UsageError("give --system or --system-column, not both")
    if code_column and not (system or system_column):
        raise click.UsageError("--code-column needs --system or --system-column")
    if engine_name == "spark" and resume:
        raise click.UsageError("--resume is for the local engine; Spark retries failed tasks itself")
    with cli_errors():
        job = Job(parse_targets(targets), code_column, system, system_column, text_column, labels)
        if engine_name == "spark":
            from server.batch.spark import run_spark
            data = run_spark(input_path, out_dir, job, db_path, master, chunk_rows)
        else:
            from server.batch.runner import Options, run
            data = run(input_path, out_dir, job, db_path, Options(workers, resume, chunk_rows))
        d = data["decisions"]
        click.echo(f"re-coded {data['rows_in']:,} rows: {data['rows_out']:,} out, {data['rejected']:,} rejected; "
                   f"auto {d['auto']:,}, review {d['review']:,}, no_match {d['no_match']:,}; "
                   f"{data['per_second']:,.0f} rows/s -> {out_dir}")


@click.command("import-queue")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--map-set", required=True, help="Map set name (its draft receives the entries).")
@as_option()
@db_option
def import_queue(path, map_set, actor, db_path) -> None:
    """Merge a `termbridge recode` review_queue.jsonl into a map set's draft as
    unreviewed entries (frequency kept, the job's candidates in the note)."""
    from server.batch import review_queue
    from server.curation import importer
    with cli_errors():
        rows = review_queue.read(path)
        count = importer.import_rows(Store(db_path), map_set, rows, actor)
        click.echo(f"imported {count:,} of {len(rows):,} review-queue entries into {map_set} (draft)")
