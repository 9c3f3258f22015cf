"""`termbridge match` (one free-text entry) and `termbridge eval` (the accuracy harness)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict

import click

from server.cli.main import cli_errors, db_option


@click.command()
@click.argument("text")
@click.option("--target", "targets", multiple=True, help="Target system (repeatable; default ICD-10-CM, "
              "SNOMED CT and Gravity SDOH where loaded).")
@click.option("--max-candidates", default=5, show_default=True, help="Candidates per system.")
@click.option("--auto-threshold", type=float, default=None, help="Calibrated confidence for `auto` "
              "(default $TERMBRIDGE_AUTO_THRESHOLD or 0.94).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def match(text: str, targets: tuple, max_candidates: int, auto_threshold: float | None, as_json: bool,
          db_path: str) -> None:
    """Map a free-text problem entry to ranked codes with calibrated confidence."""
    from server.engine import Engine
    with cli_errors():
        result = Engine(db_path).match_text(text, targets, max_candidates, auto_threshold)
        if as_json:
            click.echo(json.dumps(asdict(result), indent=2))
            return
        flags = ", ".join(result.assertion.flags()) or "none"
        click.echo(f"normalized: {result.normalized_text}\nassertion:  {flags}")
        for found in result.results:
            click.echo(f"{found.system}  [{found.decision}]")
            for c in found.candidates:
                click.echo(f"  {c.confidence:5.3f}  {c.code:<10} {c.display}")
                click.echo(f"         {c.evidence}")


@click.command(name="eval")
@click.argument("path", metavar="FILE.jsonl", type=click.Path(dir_okay=False))
@click.option("--baseline", is_flag=True, help="Also run the character n-gram TF-IDF baseline and print "
              "its figures and the ratios.")
@click.option("--group-by", "group_by", default="", help="Also print figures per value of this field "
              "(e.g. style).")
@click.option("--auto-threshold", type=float, default=None, help="Threshold for `auto` (default as served).")
@click.option("--workers", type=click.IntRange(1, 64), default=lambda: min(2, os.cpu_count() or 1),
              show_default="2 where there are 2 cores", help="Processes matching the file in batch.")
@db_option
def evaluate_command(path: str, baseline: bool, group_by: str, auto_threshold: float | None, workers: int,
                     db_path: str) -> None:
    """Accuracy, calibration and speed of MatchText on a JSONL file of
    {"id", "text", "system", "gold": [codes]} lines; the last line printed is one
    JSON object {n, top1, top5, no_match, ece, precision_at_auto, auto_rate, per_second}."""
    from server.engine import Engine
    from server.match import evaluate
    from server.match.baseline import Baseline
    from server.match.service import TEXT_THRESHOLD, auto_threshold as threshold_of
    with cli_errors():
        entries = evaluate.read_entries(path)
        threshold = threshold_of(auto_threshold, TEXT_THRESHOLD)
        engine = Engine(db_path)
        engine.matching.targets([e["system"] for e in entries])  # loads the index; unknown systems fail here
        matcher = engine.matching.matcher()
        ours, seconds = evaluate.run_matcher(matcher, entries, threshold, workers)
        mine = evaluate.figures(ours, seconds)
        if baseline:
            theirs, base_seconds = evaluate.run_baseline(Baseline(matcher.index), entries, threshold)
            base = evaluate.figures(theirs, base_seconds)
            click.echo(f"baseline {json.dumps(base)}")
            click.echo(f"ratio {json.dumps(evaluate.ratios(mine, base))}")
        if group_by:
            for value in sorted({str(e.get(group_by)) for e in entries}):
                at = [i for i, e in enumerate(entries) if str(e.get(group_by)) == value]
                click.echo(f"{group_by}={value} {json.dumps(evaluate.figures([ours[i] for i in at], 0))}")
        click.echo(json.dumps(mine))
