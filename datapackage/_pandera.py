"""Our own mapping from a Table Schema (schemas/*.json) to a pandera DataFrameSchema.

pandera's own frictionless reader misreads durations, booleans, dates and integer columns
with blanks, so the build derives its pandera schema here instead.
"""
from __future__ import annotations

from . import _schema

PANDAS_DTYPES = {
    "string": "string",
    "number": "Float64",
    "integer": "Int64",
    "boolean": "boolean",
    "date": "datetime64[ms]",
    "duration": "string",
}


def dataframe_schema(table: str | _schema.Table, *, derived: bool = True):
    """A pandera schema for ``table`` (a name, or a parsed :class:`_schema.Table`)."""
    import pandera.pandas as pa

    t = _schema.table(table) if isinstance(table, str) else table
    columns = {}
    for f in t.fields:
        if f.derived and not derived:
            continue
        checks = []
        if f.vocabulary:
            checks.append(pa.Check.isin(list(_schema.vocabulary(f.vocabulary))))
        if f.pattern and f.type == "string":
            checks.append(pa.Check.str_matches(f"(?:{f.pattern})\\Z"))
        if f.type == "duration":
            from .durations import duration_days
            checks.append(pa.Check(lambda s: s.map(lambda v: duration_days(v) is not None).astype(bool),
                                   element_wise=False, name="iso8601_duration"))
        if f.max_length is not None and f.type in ("string", "duration"):
            checks.append(pa.Check.str_length(max_value=f.max_length))
        if f.minimum is not None:
            checks.append(pa.Check.ge(f.minimum))
        if f.maximum is not None:
            checks.append(pa.Check.le(f.maximum))
        columns[f.name] = pa.Column(
            PANDAS_DTYPES[f.type], checks=checks, nullable=not f.required,
            unique=f.unique, required=True, coerce=False,
        )
    return pa.DataFrameSchema(columns, strict=True, ordered=True, unique=list(t.primary_key) or None)
