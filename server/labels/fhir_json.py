"""FHIR JSON read and written without changing any value: decimals keep their
exact digits (FHIR decimal precision is significant), keys keep their order."""

from __future__ import annotations

import json

from server.errors import InvalidArgument


class Number(str):
    """A JSON number with a fraction or exponent, kept as written."""


def loads(text: str):
    try:
        return json.loads(text, parse_float=Number)
    except json.JSONDecodeError as exc:
        raise InvalidArgument("INVALID_JSON", f"resource_json is not JSON: {exc.msg} at line {exc.lineno} column "
                              f"{exc.colno}", line=exc.lineno, column=exc.colno) from exc


def dumps(value) -> str:
    out: list[str] = []
    _write(value, out.append)
    return "".join(out)


def _write(value, out) -> None:
    if isinstance(value, Number):
        out(value)
    elif isinstance(value, dict):
        out("{")
        for n, (key, item) in enumerate(value.items()):
            out(("," if n else "") + json.dumps(key, ensure_ascii=False) + ":")
            _write(item, out)
        out("}")
    elif isinstance(value, list):
        out("[")
        for n, item in enumerate(value):
            if n:
                out(",")
            _write(item, out)
        out("]")
    else:
        out(json.dumps(value, ensure_ascii=False))
