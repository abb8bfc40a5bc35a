"""Derived columns: canonical units and days, computed from the contributed ones."""

from __future__ import annotations

import pytest

from ketamine_ssri_evidence.derived_figures import _clean, derive_figure


def test_weeks_become_days():
    out = derive_figure(
        {
            "measure": "onset_time",
            "unit": "wk",
            "value": None,
            "low": 2.0,
            "high": 6.0,
            "timepoint": "P6M",
            "timepoint_end": None,
        }
    )
    assert (out["dimension"], out["unit_canonical"]) == ("duration", "d")
    assert (out["value_canonical"], out["low_canonical"], out["high_canonical"]) == (None, 14.0, 42.0)
    assert (out["timepoint_days"], out["timepoint_end_days"]) == (182.625, None)
    assert out["low"] == 2.0 and out["unit"] == "wk"  # the contributed fields stay as they are


def test_no_unit_no_canonical_numbers():
    out = derive_figure(
        {
            "measure": "onset_time",
            "unit": None,
            "value": None,
            "low": None,
            "high": None,
            "timepoint": None,
            "timepoint_end": "P1Y",
        }
    )
    assert (out["value_canonical"], out["low_canonical"], out["high_canonical"]) == (None, None, None)
    assert out["unit_canonical"] == "d" and out["timepoint_end_days"] == 365.25


def test_month_prices_become_per_day():
    out = derive_figure(
        {
            "measure": "cost_per_month",
            "unit": "USD/mo",
            "value": 304.375,
            "low": None,
            "high": None,
            "timepoint": None,
            "timepoint_end": None,
        }
    )
    assert out["dimension"] == "currency_rate" and out["value_canonical"] == 10.0


def test_input_row_is_not_changed():
    row = {
        "measure": "remission_rate",
        "unit": "%",
        "value": 72.0,
        "low": None,
        "high": None,
        "timepoint": None,
        "timepoint_end": None,
    }
    before = dict(row)
    assert derive_figure(row)["value_canonical"] == 72.0
    assert row == before


@pytest.mark.parametrize(
    "x,clean", [(0.1 * 3, 0.3), (2 * 7.0, 14.0), (1 / 3, 0.333333333333), (123456789.125, 123456789.125)]
)
def test_clean_rounds_binary_noise_only(x, clean):
    assert _clean(x) == clean
