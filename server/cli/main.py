"""The `termbridge` command line."""

from __future__ import annotations

import getpass
import json
import logging
import sys
from contextlib import contextmanager

import click
from tqdm import tqdm

import loaders
from server import catalog, terminology
from server.errors import TermbridgeError
from server.store.store import Store, default_db_path

db_option = click.option("--db", "db_path", default=default_db_path, show_default="$TERMBRIDGE_DB or termbridge.db",
                         type=click.Path(dir_okay=False), help="SQLite database file.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def as_option(required: bool = False):
    """--as: who makes a change, recorded in the audit trail (default: the login name)."""
    return click.option("--as", "actor", required=required, default=None if required else getpass.getuser,
                        show_default=None if required else "your login name",
                        help="Who makes the change (recorded in the audit trail).")


def echo_json(value) -> None:
    """One indented JSON document on stdout."""
    click.echo(json.dumps(value, indent=2))


@contextmanager
def cli_errors():
    """Domain errors as one line on stderr and exit status 1."""
    try:
        yield
    except TermbridgeError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)


@contextmanager
def progress_bar(desc: str):
    with tqdm(desc=desc, unit=" rows", unit_scale=True, file=sys.stderr, disable=None) as bar:
        yield bar.update


def echo_summaries(summaries) -> None:
    for s in summaries:
        counts = ", ".join(f"{k} {v:,}" for k, v in s.counts.items()) or "nothing"
        skipped = "; ".join(f"{n:,} {reason}" for reason, n in s.skipped.items())
        click.echo(f"{s.status}: {s.kind} {s.url} version {s.version}"
                   f"{' (active)' if s.active else ''}: {counts}"
                   f"{'; skipped: ' + skipped if skipped else ''}")


@click.group()
@click.version_option(package_name="termbridge")
def cli() -> None:
    """termbridge: terminology mapping and sensitivity labeling for behavioral-health
    and social-care data exchange."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.command()
@db_option
def init(db_path: str) -> None:
    """Create or upgrade the database and load the embedded default content
    (ICD-10-CM 2026 and the curated mappings). Safe to run again."""
    from server.load import build_default
    with cli_errors():
        store = Store(db_path)
        with progress_bar("default content") as update:
            summaries = build_default(store, progress=update)
        echo_summaries(summaries)
        from server.match.service import build_index
        click.echo(build_index(store, db_path))  # MatchText's index, so server start stays fast


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=50051, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option("--curators", "curators_file", envvar="TERMBRIDGE_CURATORS_FILE", type=click.Path(dir_okay=False),
              help="Curators file (identity, role, sha256 of the bearer token); without it curation is read-only. "
              "Default: $TERMBRIDGE_CURATORS_FILE.")
@db_option
def serve(host: str, port: int, curators_file: str | None, db_path: str) -> None:
    """Serve the gRPC API until SIGTERM, then drain in-flight calls and exit 0."""
    from server.curation.roles import Curators
    from server.engine import Engine
    from server.rpc.app import serve as run
    with cli_errors():
        curators = Curators.load(curators_file) if curators_file else None
        run(f"{host}:{port}", Engine(db_path, curators=curators))


@cli.command()
@click.argument("fmt", metavar="FORMAT", type=click.Choice(loaders.ALL_FORMAT_NAMES))
@click.argument("path", type=click.Path())
@click.option("--system", default="", help="Canonical URI: the code system a local-csv table becomes; for fhir, "
              "load only the resource with this url.")
@click.option("--version", "version", default="", help="Version to record (default: from the source).")
@click.option("--activate", is_flag=True, help="Make this version the one that answers.")
@click.option("--dry-run", is_flag=True, help="Read and count, write nothing.")
@click.option("--code-column", help="local-csv: column holding the code (default: code).")
@click.option("--display-column", help="local-csv: column holding the display (default: display).")
@click.option("--synonyms-column", help="local-csv: column of |-separated synonyms (default: synonyms).")
@click.option("--parent-column", help="local-csv: column of |-separated parent codes (default: parent).")
@click.option("--delimiter", help="local-csv: tab, comma, semicolon, pipe or one character (default: by extension).")
@db_option
def load(fmt: str, path: str, system: str, version: str, activate: bool, dry_run: bool, db_path: str,
         **format_options) -> None:
    """Load a source file, folder or package in one transaction.

    A file that fails to parse leaves the database exactly as it was."""
    from server.load import run_load
    with cli_errors():
        store = Store(db_path)
        with progress_bar(f"loading {fmt}") as update:
            summaries = run_load(store, fmt, path, system=system, version=version, activate=activate,
                                 dry_run=dry_run, progress=update,
                                 **{k: v for k, v in format_options.items() if v is not None})
        echo_summaries(summaries)


@cli.command()
@click.argument("system")
@click.argument("code")
@click.option("--version", "version", default="", help="Code system version (default: active).")
@json_option
@db_option
def lookup(system: str, code: str, version: str, as_json: bool, db_path: str) -> None:
    """Show one concept: display, billable flag, designations, parents, children."""
    with cli_errors():
        view = terminology.lookup(Store(db_path, readonly=True), system, code, version)
        if as_json:
            echo_json(view.__dict__)
            return
        click.echo(f"{view.code}  {view.display}")
        click.echo(f"  {'system':<14}{view.system} ({view.version})")
        click.echo(f"  {'billable':<14}{'yes' if view.billable else 'no'}{'' if view.active else '  (inactive)'}")
        for d in view.designations:
            if d["use"] != "preferred":
                click.echo(f"  {d['use']:<14}{d['value']}")
        for code_, display in view.parents:
            click.echo(f"  {'parent':<14}{code_}  {display}")
        for code_, display in view.children:
            click.echo(f"  {'child':<14}{code_}  {display}")


@cli.command()
@click.argument("query")
@click.option("--system", "systems", multiple=True, help="Limit to this system (repeatable).")
@click.option("--limit", default=10, show_default=True, help="How many results.")
@click.option("--billable", is_flag=True, help="Only billable codes.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
@db_option
def search(query: str, systems: tuple, limit: int, billable: bool, as_json: bool, db_path: str) -> None:
    """Full-text search over every designation; word order and case do not matter."""
    with cli_errors():
        hits, _ = terminology.search(Store(db_path, readonly=True), query, systems, limit, billable_only=billable)
        for h in hits:
            if as_json:
                click.echo(json.dumps(h.__dict__))
            else:
                click.echo(f"{h.code:<10} {h.display}  [{h.matched_term}]" if h.matched_term != h.display
                           else f"{h.code:<10} {h.display}")


@cli.command()
@json_option
@db_option
def status(as_json: bool, db_path: str) -> None:
    """List every code system, value set and map set with version, counts, checksum and active flag."""
    with cli_errors():
        info = catalog.status(Store(db_path, readonly=True))
        if as_json:
            echo_json(info)
            return
        click.echo(f"database {info['database']} (schema {info['schema_version']})")
        for kind, count_key, name_key in (("code_systems", "concepts", "url"), ("value_sets", "members", "url"),
                                          ("map_sets", "entries", "name")):
            click.echo(f"{kind.replace('_', ' ')}: {len(info[kind])}")
            for r in info[kind]:
                click.echo(f"  {'*' if r['active'] else ' '} {r[name_key]} {r['version']}  "
                           f"{r[count_key]:,} {count_key}  sha256:{r['checksum'][:12]}")


if __name__ == "__main__":  # `python -m server.cli.main`: command modules import this very module
    sys.modules.setdefault("server.cli.main", sys.modules[__name__])

# Commands in their own modules (they import the shared options and cli_errors from here).
from server.cli.curate import curate  # noqa: E402
from server.cli.match import evaluate_command, match  # noqa: E402
from server.cli.translate import translate  # noqa: E402
from server.cli.recode import import_queue, recode  # noqa: E402
from server.cli.label import label  # noqa: E402
from server.cli.labels import labels  # noqa: E402

cli.add_command(curate)
cli.add_command(translate)
cli.add_command(match)
cli.add_command(evaluate_command)
cli.add_command(recode)
curate.add_command(import_queue)
cli.add_command(label)
cli.add_command(labels)

if __name__ == "__main__":
    cli()
