"""`termbridge labels ...`: the label value sets in a database: list them, add an
organization's value set bound to a category, switch default exclusion rows."""

from __future__ import annotations

import click

from server.cli.main import as_option, cli_errors, db_option, echo_json, echo_summaries, json_option
from server.labels import catalog
from server.store.store import Store


@click.group()
def labels() -> None:
    """Sensitivity label value sets: list, add, disable, switch exclusions."""


@labels.command("list")
@json_option
@db_option
def list_command(as_json: bool, db_path: str) -> None:
    """Every label value set (category, version, origin, rules, active) and the switched exclusions."""
    with cli_errors():
        info = catalog.listing(Store(db_path, readonly=True))
    if as_json:
        echo_json(info)
        return
    for r in info["value_sets"]:
        click.echo(f"{'*' if r['active'] else ' '} {r['category']:<9} {r['name']} {r['version']}  "
                   f"{r['rules']:,} rules  ({r['origin']}, {r['source']})")
    for s in info["exclusion_switches"]:
        click.echo(f"exclusion {s['rule_key']}: {s['state']}  (by {s['actor']}, {s['changed_at']})")


@labels.command("add")
@click.option("--category", required=True, help="ActCode sensitivity category the value set is bound to (SUD, MH ...).")
@click.option("--valueset", "path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="FHIR ValueSet .json, or .csv in the mappings/labels format.")
@click.option("--exclude", is_flag=True, help="Every row is an exclusion: these codes lose the category.")
@click.option("--name", default="", help="Value set name (default: the ValueSet url, or org/<file name>).")
@click.option("--version", "version", default="", help="Version (default: the ValueSet's, else the file's sha256).")
@as_option()
@db_option
def add(category, path, exclude, name, version, actor, db_path) -> None:
    """Add (or replace with a new version) an organization's value set for a category."""
    with cli_errors():
        echo_summaries([catalog.add_value_set(Store(db_path), category, path, exclude=exclude, name=name,
                                              version=version, actor=actor)])


@labels.command("disable")
@click.argument("name")
@as_option()
@db_option
def disable(name, actor, db_path) -> None:
    """Stop an organization value set from labeling (it stays recorded)."""
    with cli_errors():
        catalog.disable(Store(db_path), name, actor)
        click.echo(f"disabled {name}")


@labels.command("switch")
@click.argument("key")
@click.argument("state", type=click.Choice(catalog.SWITCH_STATES))
@as_option()
@db_option
def switch(key, state, actor, db_path) -> None:
    """Set an exclusion row, addressed as CATEGORY|system|match|code (e.g.
    "SUD|http://hl7.org/fhir/sid/icd-10-cm|prefix|F17"), off, to include, or back to default."""
    with cli_errors():
        catalog.switch_exclusion(Store(db_path), key, state, actor)
        click.echo(f"exclusion {key}: {state}")
