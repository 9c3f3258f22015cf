"""`termbridge curate ...`: the curation workflow on a database file (local
admin; --as names the curator recorded in the audit trail)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from server.cli.main import as_option, cli_errors, db_option, json_option
from server.curation import entries, export, importer, propose, publish, queue, review, roles
from server.curation.entries import STATUSES
from server.curation.local_table import read_local_table
from server.store.store import Store

map_set_option = click.option("--map-set", required=True, help="Map set name.")


@click.group()
def curate() -> None:
    """Propose, review, publish, diff, export and import map sets."""


@curate.command("propose")
@map_set_option
@click.option("--from", "table", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Local code table CSV: code, display[, synonyms (|-separated), frequency].")
@click.option("--source-system", required=True, help="Canonical URI of the local code system.")
@click.option("--target", required=True, help="Target system (URI or alias: icd10cm, snomed, sdoh ...).")
@click.option("--auto-threshold", type=float, default=0.0, help="Confidence at which a proposal is auto "
              "(default: the matcher's).")
@as_option()
@db_option
def propose_command(map_set, table, source_system, target, auto_threshold, actor, db_path) -> None:
    """Propose target codes for every entry of a local code table into the map set's draft."""
    from server.engine import Engine
    with cli_errors():
        Store(db_path).close()  # create or upgrade the schema before the engine opens it read-only
        summary = propose.propose(Engine(db_path), map_set, source_system, read_local_table(table), target,
                                  auto_threshold, actor)
        kept = f" ({summary.kept:,} already reviewed, kept)" if summary.kept else ""
        click.echo(f"proposed {summary.proposed:,} mappings in {summary.map_set} (draft): {summary.auto:,} auto, "
                   f"{summary.unreviewed:,} unreviewed{kept}")


@curate.command("queue")
@map_set_option
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES),
              help="Only these statuses (repeatable; default: unreviewed and auto).")
@click.option("--min-confidence", type=float, default=0.0, help="Lowest confidence to list.")
@click.option("--max-confidence", type=float, default=0.0, help="Highest confidence to list (0: no bound).")
@click.option("--text", "source_text", default="", help="Only entries whose source display contains this.")
@click.option("--limit", type=int, default=0, help="At most this many entries (0: all).")
@json_option
@db_option
def queue_command(map_set, statuses, min_confidence, max_confidence, source_text, limit, as_json, db_path) -> None:
    """The review queue, most valuable review first (frequent and uncertain)."""
    with cli_errors():
        store = Store(db_path, readonly=True)
        token, shown = "", 0
        while True:
            page, token, total = queue.list_queue(store, map_set, statuses, min_confidence, max_confidence,
                                                  source_text, min(limit - shown, 1000) if limit else 1000, token)
            for e in page:
                if as_json:
                    click.echo(json.dumps(e.as_json()))
                else:
                    click.echo(f"{e.id:>7}  {e.status:<10} {e.confidence:5.2f}  {e.source_code} {e.source_display}"
                               f"  ->  {e.target_code or '(none)'} {e.target_display}")
            shown += len(page)
            if not token or (limit and shown >= limit):
                break
        if not as_json:
            click.echo(f"{shown:,} of {total:,} entries", err=True)


@curate.command("review")
@click.argument("entry_id", metavar="ID")
@click.option("--accept", "action", flag_value="accept", help="Accept the proposed target.")
@click.option("--reject", "action", flag_value="reject", help="Reject the proposed target.")
@click.option("--target", "target_code", default="", help="Replace the target with this code (same system).")
@click.option("--relationship", default="", help="Relationship of the replacement (default equivalent): "
              "equivalent, source-is-narrower-than-target, source-is-broader-than-target, related-to, "
              "not-related-to.")
@click.option("--note", required=True, help="Why (kept with the entry and in the audit trail).")
@click.option("--etag", default="", help="The etag you read (default: the current one).")
@as_option(required=True)
@json_option
@db_option
def review_command(entry_id, action, target_code, relationship, note, etag, actor, as_json, db_path) -> None:
    """Accept, reject, or replace the target of one entry (--accept | --reject | --target CODE)."""
    if bool(action) == bool(target_code):
        raise click.UsageError("give exactly one of --accept, --reject or --target CODE")
    with cli_errors():
        store = Store(db_path)
        etag = etag or entries.get(store, entry_id).etag
        if target_code:
            entry = review.review(store, entry_id, etag, "replace", actor, note, target_code,
                                  relationship or "equivalent")
        else:
            entry = review.review(store, entry_id, etag, action, actor, note, relationship=relationship)
        if as_json:
            click.echo(json.dumps(entry.as_json()))
            return
        click.echo(f"entry {entry.id}: {entry.status} {entry.source_code} {entry.source_display} -> "
                   f"{entry.target_code} {entry.target_display} ({entry.relationship}) by {entry.reviewer}")


@curate.command("publish")
@map_set_option
@click.option("--version", "version", default="", help="Version name (default: the next number).")
@as_option()
@json_option
@db_option
def publish_command(map_set, version, actor, as_json, db_path) -> None:
    """Freeze the draft's accepted and auto entries as a new immutable version."""
    with cli_errors():
        diff = publish.publish(Store(db_path), map_set, actor, version)
        echo_diff(diff, as_json, f"published {map_set} version {diff.to_version}", details=False)


@curate.command("diff")
@map_set_option
@click.option("--from", "from_version", default="", help="Older version (default: the one before --to).")
@click.option("--to", "to_version", default="", help="Newer version or 'draft' (default: the active one).")
@json_option
@db_option
def diff_command(map_set, from_version, to_version, as_json, db_path) -> None:
    """Added, removed and changed mappings between two versions."""
    with cli_errors():
        diff = publish.diff(Store(db_path, readonly=True), map_set, from_version, to_version)
        echo_diff(diff, as_json, f"{map_set} {diff.from_version or '(nothing)'} -> {diff.to_version}")


def echo_diff(diff: publish.Diff, as_json: bool, title: str, details: bool = True) -> None:
    if as_json:
        changes = {k: [e.as_json() for e in getattr(diff, k)] for k in ("added", "removed", "changed")}
        click.echo(json.dumps({"from_version": diff.from_version, "to_version": diff.to_version, **changes}))
        return
    counts = diff.counts()
    click.echo(f"{title}: {counts['added']:,} added, {counts['removed']:,} removed, {counts['changed']:,} changed")
    if not details:
        return
    for mark, kind in (("+", "added"), ("-", "removed"), ("~", "changed")):
        for e in getattr(diff, kind):
            click.echo(f"  {mark} {e.source_code} {e.source_display} -> {e.target_code} {e.target_display}")


@curate.command("export")
@map_set_option
@click.option("--format", "fmt", required=True, type=click.Choice(export.FORMATS), help="Output format.")
@click.option("--version", "version", default="", help="Version or 'draft' (default: the active one).")
@click.option("--output", type=click.Path(dir_okay=False), help="Write here instead of standard output.")
@db_option
def export_command(map_set, fmt, version, output, db_path) -> None:
    """Write a version's accepted and auto mappings as SSSOM, FHIR ConceptMap R4/R5 or CSV."""
    with cli_errors():
        content, _, filename = export.export(Store(db_path, readonly=True), map_set, version, fmt)
        if output:
            Path(output).write_text(content, encoding="utf-8")
            click.echo(f"wrote {output} ({filename})", err=True)
        else:
            sys.stdout.write(content)


@curate.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@map_set_option
@click.option("--format", "fmt", required=True, type=click.Choice(export.FORMATS), help="Input format.")
@as_option()
@db_option
def import_command(path, map_set, fmt, actor, db_path) -> None:
    """Merge mappings from a file into the map set's draft."""
    with cli_errors():
        rows = importer.parse(fmt, Path(path).read_text(encoding="utf-8"))
        count = importer.import_rows(Store(db_path), map_set, rows, actor)
        click.echo(f"imported {count:,} of {len(rows):,} mappings into {map_set} (draft)")


@curate.command("history")
@click.argument("entry_id", metavar="ID")
@json_option
@db_option
def history_command(entry_id, as_json, db_path) -> None:
    """The audit trail of one entry: who changed what, when, before and after."""
    with cli_errors():
        store = Store(db_path, readonly=True)
        entry = entries.get(store, entry_id)
        for r in store.query("SELECT * FROM audit_events WHERE entity = 'map_entry' AND entity_id = ? ORDER BY id",
                             (str(entry.id),)):
            event = {k: r[k] for k in ("at", "actor", "action")}
            event |= {k: json.loads(r[k]) if r[k] else None for k in ("before", "after")}
            if as_json:
                click.echo(json.dumps(event))
            else:
                before, after = event["before"] or {}, event["after"]
                click.echo(f"{event['at']}  {event['actor']:<12} {event['action']:<15} "
                           f"{before.get('status', '-')} {(before.get('target') or ['', ''])[1]} -> "
                           f"{after['status']} {after['target'][1]}")


@curate.command("grant")
@click.argument("identity")
@click.option("--curators", "curators_file", required=True, type=click.Path(dir_okay=False),
              help="The curators file the server reads (created if missing).")
@click.option("--role", type=click.Choice(roles.ROLES), default="curator", show_default=True,
              help="curator may change curation data; reader may only read.")
@as_option()
@db_option
def grant_command(identity, curators_file, role, actor, db_path) -> None:
    """Issue a bearer token for IDENTITY: its SHA-256 goes into the curators file,
    the token itself is printed once."""
    with cli_errors():
        roles.check_identity(identity)
        path = Path(curators_file)
        if path.exists():
            roles.Curators.load(path)  # refuse to append to a broken file
        existing = path.read_text(encoding="utf-8") if path.exists() else ""
        token = roles.new_token()
        line = roles.file_line(identity, role, token)
        path.write_text(existing + ("" if not existing or existing.endswith("\n") else "\n") + line + "\n",
                        encoding="utf-8")
        path.chmod(0o600)
        store = Store(db_path)
        with store.transaction():
            store.audit(actor, "grant", "curator", identity, after={"role": role, "file": str(path)})
        click.echo(token)
        click.echo(f"added {identity} ({role}) to {path}; the server reads it at start (serve --curators)", err=True)
