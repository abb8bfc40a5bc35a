"""Figure records as the build hands them to the claim checks and the contradictions.

``figure()`` fills every field of schemas/figures.schema.json (``None`` where not given), so a
test states only what its case is about. Used by the rule tests of the comparison, the claim
checks and the contradictions.
"""

from __future__ import annotations

import itertools

from ketamine_ssri_evidence import schemas

STUDY = {"source_id": "study", "resolution": "public_text"}


def figure(
    figure_id: str,
    value_text: str,
    qualifier: str = "exact",
    value=None,
    low=None,
    high=None,
    *,
    unit: str | None = "%",
    measure: str = "remission_rate",
    treatment: str = "ketamine",
    route: str = "unspecified",
    population: str = "trd",
    locator: str = "Results",
    **fields,
) -> dict:
    """One figure record; ``figure_id`` is ``<source_id>/<nnn>`` and gives the source."""
    f: dict = {fld.name: None for fld in schemas.table("figures").fields}
    f.update(
        figure_id=figure_id,
        source_id=figure_id.split("/")[0],
        value_text=value_text,
        qualifier=qualifier,
        value=value,
        low=low,
        high=high,
        unit=unit,
        measure=measure,
        treatment=treatment,
        route=route,
        population=population,
        locator=locator,
    )
    f.update(fields)
    return f


def claim(figure_id: str, value_text: str, qualifier: str = "exact", value=None, low=None, high=None, **fields) -> dict:
    """An article figure that credits the source ``study``."""
    return figure(figure_id, value_text, qualifier, value, low, high, attributed_to="study", **fields)


_ids = itertools.count(1)


def numbered(
    value_text: str, qualifier: str = "exact", value=None, low=None, high=None, *, source: str = "article", **fields
) -> dict:
    """A figure of ``source`` with the next unused id (``<source>/0001``, ...)."""
    return figure(f"{source}/{next(_ids):04d}", value_text, qualifier, value, low, high, **fields)


def forget_memos() -> None:
    """Empty the memos of the comparison (spans, key comparisons, rounding), so that a test
    computes what it checks instead of reading what an earlier test left; mutation testing
    needs it: a memo filled before a mutant is switched on would hide the mutant."""
    from ketamine_ssri_evidence import claim_checks, comparison, spans

    for memo in (claim_checks._compare_keys, claim_checks._key_names, spans._span, comparison._rounding_of):
        memo.cache_clear()
