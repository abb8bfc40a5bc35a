""":func:`comparison.span` memoised on the fields it reads, for the rules that ask it of many figures.

Figures that print the same thing in the same way (the same measure, qualifier, text, unit and
numbers) have the same interval: the claim checks and the contradictions ask for it once per
distinct combination, not once per figure and per comparison.
"""

from __future__ import annotations

from functools import lru_cache

from . import comparison

# What comparison.span reads of a figure (with comparative()): a new read there is a new name here.
SPAN_FIELDS = ("measure", "qualifier", "value_text", "unit", "value", "low", "high")
_NO_TOL = object()  # a figure without a propagated tolerance (``_tol``): its rounding decides


@lru_cache(maxsize=1 << 18)
def _span(values: tuple, tol):
    f = dict(zip(SPAN_FIELDS, values))
    if tol is not _NO_TOL:
        f["_tol"] = tol
    return comparison.span(f)


def span(f: dict) -> comparison.Span | None:
    """The interval a figure allows (see :func:`comparison.span`), computed once per distinct fields."""
    g = f.get
    return _span(
        (g("measure"), g("qualifier"), g("value_text"), g("unit"), g("value"), g("low"), g("high")),
        f["_tol"] if "_tol" in f else _NO_TOL,
    )


def spans_of_columns(columns: dict[str, list]) -> list[comparison.Span | None]:
    """The span of every row of figures given as columns (lists of values) of ``SPAN_FIELDS``."""
    memo: dict[tuple, comparison.Span | None] = {}
    out: list[comparison.Span | None] = []
    for values in zip(*(columns[k] for k in SPAN_FIELDS)):
        if values in memo:
            out.append(memo[values])
        else:
            out.append(memo.setdefault(values, _span(values, _NO_TOL)))
    return out
