"""The data benchmarks/scale.py generates is valid, so that its timings are of valid data."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from ketamine_ssri_evidence.validation import validate

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "benchmarks" / "scale.py")
assert _spec is not None and _spec.loader is not None
scale = importlib.util.module_from_spec(_spec)
sys.modules["bench_scale"] = scale  # dataclasses look their module up
_spec.loader.exec_module(scale)


@pytest.fixture(scope="module")
def pool():
    return scale.template_pool()


def test_templates_hold_every_real_row_and_shifted_numbers(pool):
    cols, rows, yamls = pool
    real = scale.real_templates()[1]
    assert len(yamls) == len([p for p in (ROOT / "raw").iterdir() if p.is_dir()])
    assert rows[: len(real)] == real
    assert len(rows) > 2 * len(real)  # shifted variants: more distinct numbers than the real rows


def test_shifted_row_changes_text_and_numbers_together():
    row = {"qualifier": "range", "value": "", "low": "4", "high": "6", "value_text": "4–6 weeks"}
    assert scale._shifted(row, 3) == dict(row, low="7", high="9", value_text="7–9 weeks")
    assert scale._shifted(dict(row, value_text="four to six weeks"), 3) is None


def _one_pass(sizes: list[int], pool_rows: int) -> list[int]:
    """The shape's sources, each smaller in proportion so that all hold about one pass over
    the template rows (validity is the templates' and the naming's, not the count's)."""
    total = sum(sizes)
    if total <= pool_rows:
        return sizes
    return [max(1, size * pool_rows // total) for size in sizes]


@pytest.mark.parametrize("shape", scale.shapes(quick=True), ids=lambda s: s.name)
def test_quick_shapes_validate(shape, pool, tmp_path):
    raw = tmp_path / "raw"
    sizes = _one_pass(shape.sizes, len(pool[1]))
    written = scale.write_raw(raw, sizes, pool, lean=shape.lean)
    assert written == sum(p.stat().st_size for p in raw.glob("*/figures.csv"))
    assert len(list(raw.iterdir())) == len(shape.sizes)
    result = validate(raw_dir=raw, keep_rows=False)
    assert result.issues == []


def test_spread_totals_and_bounds():
    sizes = scale._spread(10_000, 1_000_000, 10, 190)
    assert sum(sizes) == 1_000_000 and min(sizes) >= 10 and max(sizes) <= 190 and len(sizes) == 10_000
