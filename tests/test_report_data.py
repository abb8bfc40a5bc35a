"""The report's measure charts draw every numeric figure of their measures, and nothing else.

This checks the data a chart plots, not the size of an image. ``_drawn`` is the one place
that knows how the report draws (today: matplotlib lines, one mark or range bar per
distinct figure); when the report changes how it draws, change ``_drawn`` to read the
chart data of the new report, and keep the assertions.
"""
from __future__ import annotations

import pandas as pd
import pytest

import ketamine_ssri_evidence as kse

pytest.importorskip("matplotlib")
from ketamine_ssri_evidence import report  # noqa: E402  (needs matplotlib)


def _measures(key: str) -> tuple[str, ...]:
    return {"adherence": report.ADHERENCE, "cost": report.COSTS}.get(key, (key,))


@pytest.fixture(scope="module")
def release():
    figures, sources = kse.load("figures"), kse.load("sources")
    for col in ("figure_id", "source_id", "value_text", "attributed_to"):
        figures[col] = figures[col].astype(object)
    return figures, sources


def _drawn(figures, sources, key, title, unit) -> list[tuple[float, ...]]:
    """The x values of each figure the chart for ``key`` draws: (value,) or (low, high)."""
    captured: list = []
    real = report._png

    def keep(fig) -> bytes:
        captured.append(fig)
        return b""

    report._png = keep
    try:
        report.chart_measure(figures, sources, key, title, unit)
    finally:
        report._png = real
    (fig,) = captured
    points = []
    for line in fig.axes[0].lines:
        xs = tuple(float(x) for x in line.get_xdata())
        if line.get_marker() not in (None, "", "None"):
            points.append(xs)  # a stated value (exact, about, up to, at least)
        elif line.get_linewidth() == 4:
            points.append(xs)  # a range bar
    report._plt().close(fig)
    return points


def _expected(figures, key) -> list[tuple[float, ...]]:
    """Each distinct numeric figure of the chart's measures, as (value,) or (low, high)."""
    df = figures[figures["measure"].astype(str).isin(_measures(key)) & (figures["qualifier"].astype(str) != "qualitative")]
    seen = set()
    for f in df.itertuples():
        v = f.value_canonical
        shape = (float(f.low_canonical), float(f.high_canonical)) if pd.isna(v) else (float(v),)
        seen.add((str(f.measure), str(f.treatment), f.source_id, str(f.qualifier), str(f.population), shape))
    return sorted(s[-1] for s in seen)


@pytest.mark.parametrize("key,title,unit", report.KEY_MEASURES, ids=[k for k, _, _ in report.KEY_MEASURES])
def test_measure_chart_draws_every_numeric_figure(release, key, title, unit):
    figures, sources = release
    expected = _expected(figures, key)
    assert expected, f"the release has no numeric {key} figure to draw"
    assert sorted(_drawn(figures, sources, key, title, unit)) == expected


def test_a_measure_without_figures_draws_nothing(release):
    figures, sources = release
    none = figures[figures["measure"].astype(str) != "remission_rate"]
    assert _drawn(none, sources, "remission_rate", "Remission rates", "%") == []
