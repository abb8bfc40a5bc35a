"""Our own mapping from a Table Schema (schemas/*.json) to a pandera DataFrameSchema.

pandera's own frictionless reader misreads durations, booleans, dates and integer columns
with blanks, so the build derives its pandera schema here instead.
"""

from __future__ import annotations

from . import schemas
from .field_types import TYPES, CellTypeError, field_type

# The pandas dtype of each Table Schema type, as field_types states it (the build reads this view).
PANDAS_DTYPES = {name: t.pandas for name, t in TYPES.items()}
_TEXT = field_type("string")


def _parses(parse, v) -> bool:
    try:
        parse(v)
    except CellTypeError:
        return False
    return True


def dataframe_schema(table: str | schemas.Table, *, derived: bool = True):
    """A pandera schema for ``table`` (a name, or a parsed :class:`schemas.Table`)."""
    import pandera.pandas as pa

    t = schemas.table(table) if isinstance(table, str) else table
    columns = {}
    for f in t.fields:
        if f.derived and not derived:
            continue
        ft = field_type(f.type)
        checks = []
        if f.vocabulary:
            checks.append(pa.Check.isin(list(schemas.vocabulary(f.vocabulary))))
        if f.pattern and ft is _TEXT:
            checks.append(pa.Check.str_matches(f"(?:{f.pattern})\\Z"))
        if ft.pandas == _TEXT.pandas and ft is not _TEXT:  # kept as text, with a grammar of its own (ISO 8601)
            checks.append(
                pa.Check(
                    lambda s, parse=ft.parse: s.map(lambda v: _parses(parse, v)).astype(bool),
                    element_wise=False,
                    name=f"iso8601_{ft.name}",
                )
            )
        if f.max_length is not None and ft.pandas == _TEXT.pandas:
            checks.append(pa.Check.str_length(max_value=f.max_length))
        if f.minimum is not None:
            checks.append(pa.Check.ge(f.minimum))
        if f.maximum is not None:
            checks.append(pa.Check.le(f.maximum))
        columns[f.name] = pa.Column(
            ft.pandas,
            checks=checks,
            nullable=not f.required,
            unique=f.unique,
            required=True,
            coerce=False,
        )
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=list(t.primary_key) or None)
