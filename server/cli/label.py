"""`termbridge label`: DS4P security labels for a coding, a free-text entry, or a
JSON-lines file of them; one JSON line out per input."""

from __future__ import annotations

import json
import sys

import click

from server.cli.main import cli_errors, db_option
from server.errors import TermbridgeError
from server.labels import Context, Element

NOTE_TYPES = {"psychotherapy": "psychotherapy", "sud-counseling": "sud_counseling"}


@click.command("label")
@click.option("--system", default="", help="Code system of --code (URI or alias: icd10cm, snomed, loinc ...).")
@click.option("--code", default="", help="The code to label.")
@click.option("--text", default="", help="Free text to label (through the text matcher).")
@click.option("--input", "input_file", type=click.Path(exists=True, dir_okay=False, allow_dash=True),
              help='JSON lines, each {"system", "code"} or {"text"} (optional "id"); - reads stdin.')
@click.option("--part2", is_flag=True, help="The data comes from a 42 CFR Part 2 program.")
@click.option("--note-type", type=click.Choice(sorted(NOTE_TYPES)), help="The data is this kind of note.")
@click.option("--jurisdiction", default="", help='Where the data comes from, e.g. "US-CA".')
@db_option
def label(system, code, text, input_file, part2, note_type, jurisdiction, db_path) -> None:
    """Print confidentiality, sensitivity, policy, handling, decision and the evidence
    behind every label, as one JSON line per input. A bad input line prints
    {"line": N, "error": ...}, the rest is still labeled, and the exit status is 1."""
    from server.engine import Engine
    if bool(input_file) == bool(code or text) or bool(system) != bool(code):
        raise click.UsageError("give --system with --code, and/or --text; or --input FILE")
    context = Context(part2, NOTE_TYPES.get(note_type or "", ""), jurisdiction)
    with cli_errors():
        engine = Engine(db_path)
        if not input_file:
            element = Element(codings=((system, code),) if code else (), text=text)
            click.echo(json.dumps(engine.label_elements([element], context)[0][0].as_json()))
            return
        failed = False
        with click.open_file(input_file, encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    out = _label_line(engine, line, context)
                    failed |= "error" in out
                    click.echo(json.dumps({"line": number, **out} if "error" in out else out))
    if failed:
        sys.exit(1)


def _label_line(engine, line: str, context: Context) -> dict:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": f"not JSON: {exc.msg}"}
    if not isinstance(item, dict) or not ({"system", "code"} <= item.keys() or "text" in item):
        return {"error": 'expected {"system", "code"} or {"text"}'}
    fields = [item.get(k, "") for k in ("id", "system", "code", "text")]
    if not all(isinstance(v, str) for v in fields):
        return {"error": "id, system, code and text must be strings"}
    eid, system, code, text = fields
    try:
        labels = engine.label_elements([Element(eid, ((system, code),) if "code" in item else (), text)], context)[0]
    except TermbridgeError as exc:
        return {"error": exc.message.removeprefix("element 0: ")}
    return {"id": eid, **labels[0].as_json()} if eid else labels[0].as_json()
