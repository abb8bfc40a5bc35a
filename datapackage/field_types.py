"""The one map from a Table Schema field type to how the project parses, stores and loads it.

Every module that turns a cell into a value, a column into Arrow, or a column into a pandas
dtype reads it from here: validation (``parse``), the build (``arrow``), loading and pandera
(``pandas``), the Croissant file (``croissant``). A new Table Schema type is one entry here.

Importing this module imports neither pandas nor pyarrow; ``arrow_type`` and the dtypes are
resolved when asked for.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .durations import duration_days

MAX_DURATION_DAYS = 365_250  # 1,000 years: a longer duration is a typing slip (or an attack), never data
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # the number grammar of a contributed cell
INTEGER = re.compile(r"-?[0-9]{1,18}")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class CellTypeError(ValueError):
    """A cell that is not a value of its field's type; ``str(e)`` is the reason a contributor reads."""


def _number(v: str) -> float:
    if not NUMBER.fullmatch(v):
        raise CellTypeError(
            "not a plain decimal number (digits, an optional minus sign and decimal point; "
            "no %, commas, exponent, NaN or infinity)"
        )
    x = float(v)
    if not math.isfinite(x):  # hundreds of digits
        raise CellTypeError("too large to be a number (it overflows to infinity)")
    return x


def _integer(v: str) -> int:
    if not INTEGER.fullmatch(v):
        raise CellTypeError("not a whole number")
    return int(v)


def _date(v: str) -> _dt.date:
    try:
        if not DATE.fullmatch(v):
            raise ValueError
        return _dt.date.fromisoformat(v)
    except ValueError:
        raise CellTypeError("not an ISO 8601 date (YYYY-MM-DD)") from None


def _duration(v: str) -> str:
    days = duration_days(v)
    if days is None:
        raise CellTypeError("not an ISO 8601 duration such as P6M, P2W, P1D or PT24H")
    if not math.isfinite(days) or days > MAX_DURATION_DAYS:
        raise CellTypeError("a duration of more than 1,000 years is not a time-point of a study")
    return v  # durations stay ISO 8601 text (pandas and pyarrow misread calendar months)


def _boolean(v: str) -> bool:
    if v in ("true", "True", "TRUE", "1"):
        return True
    if v in ("false", "False", "FALSE", "0"):
        return False
    raise CellTypeError("not true or false")


def _string(v: str) -> str:
    return v


@dataclass(frozen=True)
class FieldType:
    """How one Table Schema type is parsed (from a non-empty cell), stored and loaded."""

    name: str
    parse: Callable[[str], Any]  # raises CellTypeError with the contributor's reason
    arrow: str  # a pyarrow type factory: pyarrow.<arrow>()
    pandas: str  # the pandas dtype a loaded column gets (vocabulary fields become categoricals)
    croissant: str  # the schema.org data type in the Croissant file
    cell: str  # how a spreadsheet cell holds it: text, number, date or boolean
    numeric: bool = False  # minimum / maximum apply
    digits: bool = False  # written with ASCII digits only (non-ascii-digit)
    grammar: str | None = None  # a regular expression every value's text matches whole
    text: bool = False  # any text is a value (vocabularies and patterns then narrow it)
    arrow_casts: bool = False  # pyarrow's cast from text reads every value the parser accepts

    def arrow_type(self):
        import pyarrow as pa

        return getattr(pa, self.arrow)()


TYPES: dict[str, FieldType] = {
    t.name: t
    for t in (
        FieldType("string", _string, "string", "string", "sc:Text", "text", text=True),
        FieldType(
            "number",
            _number,
            "float64",
            "Float64",
            "sc:Float",
            "number",
            numeric=True,
            digits=True,
            grammar=NUMBER.pattern,
            arrow_casts=True,
        ),
        FieldType(
            "integer",
            _integer,
            "int64",
            "Int64",
            "sc:Integer",
            "number",
            numeric=True,
            digits=True,
            grammar=INTEGER.pattern,
            arrow_casts=True,
        ),
        FieldType("date", _date, "date32", "datetime64[ms]", "sc:Date", "date", digits=True, arrow_casts=True),
        FieldType("duration", _duration, "string", "string", "sc:Text", "text", digits=True),
        FieldType("boolean", _boolean, "bool_", "boolean", "sc:Boolean", "boolean"),
    )
}


def field_type(name: str) -> FieldType:
    """The :class:`FieldType` of a Table Schema type name; an unknown type reads as string."""
    return TYPES.get(name, TYPES["string"])
