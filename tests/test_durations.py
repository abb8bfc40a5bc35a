"""ISO 8601 durations to days: examples and Hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from ketamine_ssri_evidence.durations import DAYS, TIME_DAYS, duration_days


@pytest.mark.parametrize(
    "text,days",
    [
        ("P1D", 1.0),
        ("P2W", 14.0),
        ("P6M", 182.625),
        ("P1Y", 365.25),
        ("P1Y2M", 365.25 + 2 * 30.4375),
        ("PT24H", 1.0),
        ("PT36H", 1.5),
        ("PT90M", 90 / 1440),
        ("PT30S", 30 / 86400),
        ("P1DT12H", 1.5),
        ("P0.5D", 0.5),
        ("P1.5Y", 547.875),
        ("P0D", 0.0),
        ("P1Y1M1W1DT1H1M1S", 365.25 + 30.4375 + 7 + 1 + 1 / 24 + 1 / 1440 + 1 / 86400),
    ],
)
def test_examples(text, days):
    assert duration_days(text) == pytest.approx(days, rel=1e-12, abs=0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "P1",
        "6 months",
        "P6m",
        "p6M",
        "P1H",
        "PT1D",
        "P1M2Y",
        "P-1D",
        "P1DT",
        "1D",
        "P1D ",
        " P1D",
        "P1,5D",
        "P.5D",
        "P1W1Y",
        "PT1S1M",
        "P6MX",
    ],
)
def test_not_a_duration(text):
    assert duration_days(text) is None


def test_units_are_the_ucum_means():
    assert DAYS == {"Y": 365.25, "M": 30.4375, "W": 7.0, "D": 1.0}
    assert TIME_DAYS == {"H": 1 / 24, "M": 1 / 1440, "S": 1 / 86400}


amounts = st.integers(min_value=0, max_value=10_000)
DATE_UNITS = [("Y", 365.25), ("M", 30.4375), ("W", 7.0), ("D", 1.0)]
TIME_UNITS = [("H", 1 / 24), ("M", 1 / 1440), ("S", 1 / 86400)]


@given(st.lists(st.one_of(st.none(), amounts), min_size=7, max_size=7))
def test_any_combination_adds_up(parts):
    """Each present part counts its unit's days; order is Y M W D T H M S."""
    date = "".join(f"{n}{u}" for n, (u, _) in zip(parts[:4], DATE_UNITS) if n is not None)
    time = "".join(f"{n}{u}" for n, (u, _) in zip(parts[4:], TIME_UNITS) if n is not None)
    text = "P" + date + ("T" + time if time else "")
    expected = sum(n * d for n, (_, d) in zip(parts, DATE_UNITS + TIME_UNITS) if n is not None)
    if text == "P":
        assert duration_days(text) is None
    else:
        assert duration_days(text) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@given(amounts, amounts)
def test_longer_is_more_days(a, b):
    da, db = duration_days(f"P{a}D"), duration_days(f"P{b}D")
    assert da is not None and db is not None
    assert (da < db) == (a < b) and (da == db) == (a == b)


@given(st.text(max_size=30))
def test_never_raises(text):
    d = duration_days(text)
    assert d is None or (text.startswith("P") and d >= 0)
