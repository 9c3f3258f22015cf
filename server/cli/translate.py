"""`termbridge translate`: FHIR $translate from the command line."""

from __future__ import annotations

import click

from server.cli.main import cli_errors, db_option, echo_json, json_option


@click.command()
@click.argument("system")
@click.argument("code")
@click.option("--target", "targets", multiple=True,
              help="Target system, URI or alias (repeatable; default: every system a map leads to).")
@click.option("--reverse", is_flag=True, help="From a target code back to the codes that map to it.")
@click.option("--map-set", default="", help="Answer from this map set only (by name).")
@json_option
@db_option
def translate(system: str, code: str, targets: tuple, reverse: bool, map_set: str, as_json: bool,
              db_path: str) -> None:
    """Translate a code into other code systems, with each match's relationship,
    confidence and provenance.

    SYSTEM is a canonical URI, an OID or an alias (icd10cm, snomed, loinc, sdoh,
    ...); ICD-10-CM codes may drop the dot. A LOINC answer may carry its
    question, as QUESTION|ANSWER (88124-3|LA19952-3)."""
    from server.engine import Engine
    with cli_errors():
        found = Engine(db_path).translate_code(system, code, targets, reverse, map_set)
    if as_json:
        echo_json(found.as_dict())
        return
    src = found.source
    click.echo(f"{src.code}  {src.display}  ({src.system})" if src.display else f"{src.code}  ({src.system})")
    if not found.result:
        click.echo(f"  no match: {found.message}")
    width = max((len(m.target.code) for m in found.matches), default=0) + 2
    system_shown = None
    for m in found.matches:
        if m.target.system != system_shown:
            system_shown = m.target.system
            click.echo(f"{'<-' if reverse else '->'} {system_shown}")
        p = m.provenance
        click.echo(f"  {m.target.code:<{width}}{m.relationship:<32}{m.confidence:<7.3g}{m.target.display}")
        how = [p.method, " ".join(filter(None, (p.map_set, p.map_set_version))), p.status,
               "via " + ", ".join(c.code for c in p.path) if p.path else "", p.advice]
        click.echo(f"  {'':<{width}}{'; '.join(filter(None, how))}")
