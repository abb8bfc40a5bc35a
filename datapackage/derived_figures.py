"""Columns and figures the build computes from the contributed ones.

``derive_figure`` adds the derived columns of one figure row (fields marked ``derived``).
``derived_figures`` computes the figures that follow from a source's printed figures
(a complement, a count over its denominator, a difference), declared as data in
``raw/<source_id>/derived.csv``: each row names its inputs and a formula from
schemas/vocab/formula.csv; the value is computed here, never typed.
"""

from __future__ import annotations

from pathlib import Path

from . import schemas
from .durations import duration_days
from .field_types import CellTypeError, field_type
from .issues import Issue

DERIVED_FILE = "derived.csv"
# columns of raw/<source_id>/derived.csv besides the coded fields it may set
_OWN = ("derived_id", "formula", "inputs", "note")


def derive_figure(row: dict) -> dict:
    """Add the derived fields to one validated figure row (a dict of typed values)."""
    measure = row["measure"]
    dim = schemas.measure_dimension(measure)
    canonical = schemas.vocabulary("dimension")[dim]["canonical_unit"]
    unit = row.get("unit")
    factor = schemas.unit_factor(unit) if unit else None
    out = dict(row)
    out["dimension"] = dim
    out["unit_canonical"] = canonical
    for k in ("value", "low", "high"):
        v = row.get(k)
        out[f"{k}_canonical"] = None if v is None or factor is None else _clean(v * factor)
    for k in ("timepoint", "timepoint_end"):
        v = row.get(k)
        days = None if v is None else duration_days(v)
        out[f"{k}_days"] = None if days is None else _clean(days)
    return out


def _clean(x: float) -> float:
    """Round away binary noise (0.1*3) while keeping every printed digit."""
    return float(f"{x:.12g}")


def _days(v: str) -> float | None:
    days = duration_days(v)
    return None if days is None else _clean(days)


def _distinct_map(arr, fn, type_):
    """``fn`` (None for None) over the distinct values of Arrow array ``arr``, spread back over its rows."""
    import pyarrow as pa
    import pyarrow.compute as pc

    uniq = pc.unique(arr)
    out = pa.array([None if v is None else fn(v) for v in uniq.to_pylist()], type=type_)
    return out.take(pc.index_in(arr, value_set=uniq))


def derived_columns(figures) -> dict:
    """The derived fields of every row of an Arrow table of validated figures: ``{name: array}``.

    Column for column what :func:`derive_figure` gives row by row (each value is computed once
    per distinct input and spread back over the rows; products are the same IEEE multiplications).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    dims = schemas.vocabulary("dimension")

    def col(name):
        c = figures.column(name)
        return c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c

    measure = col("measure")
    out = {
        "dimension": _distinct_map(measure, schemas.measure_dimension, pa.string()),
        "unit_canonical": _distinct_map(
            measure, lambda m: dims[schemas.measure_dimension(m)]["canonical_unit"], pa.string()
        ),
    }
    factor = _distinct_map(col("unit"), schemas.unit_factor, pa.float64())
    for k in ("value", "low", "high"):
        out[f"{k}_canonical"] = _distinct_map(pc.multiply(col(k).cast(pa.float64()), factor), _clean, pa.float64())
    for k in ("timepoint", "timepoint_end"):
        out[f"{k}_days"] = _distinct_map(col(k), _days, pa.float64())
    return out


# ------------------------------------------------------------------ derived figures


def _coded_fields() -> list[schemas.Field]:
    """Fields of derived_figures that derived.csv may set (else taken from the first input)."""
    t = schemas.table("derived_figures")
    own = {
        "derived_id",
        "source_id",
        "formula",
        "inputs",
        "expression",
        "value",
        "unit",
        "n",
        "value_canonical",
        "note",
    }
    return [f for f in t.fields if f.name not in own]


def _point(f: dict) -> float | None:
    q = f.get("qualifier")  # a point figure that is no bound ("exact", "about")
    return f.get("value") if schemas.qualifier_shape(q) == "point" and not schemas.qualifier_bound(q) else None


def _num(x: float) -> str:
    return f"{x:.4g}" if abs(x - round(x, 2)) > 1e-9 else f"{round(x, 2):g}"


def compute(formula: str, inputs: list[dict]) -> tuple[float, str, str, int | None, float] | str:
    """(value, unit, expression, n, tolerance) of a derived figure, or why it cannot be computed."""
    from .comparison import _rounding

    if formula == "complement":
        (a,) = inputs
        v = _point(a)
        if a.get("unit") != "%" or v is None:
            return f"complement needs one printed share in % with a point value; {a['figure_id']} is {a.get('value_text')!r}"
        res = 100 - v
        return res, "%", f"100% − {a['value_text']} = {_num(res)}%", a.get("n"), _rounding(a)
    if formula == "count_over_n":
        k, n = inputs
        vk, vn = _point(k), _point(n)
        dims = {schemas.measure_dimension(k["measure"]), schemas.measure_dimension(n["measure"])}
        if vk is None or vn is None or dims != {"count"} or not vn:
            return (
                f"count_over_n needs a count and a number of patients, both printed as points; "
                f"{k['figure_id']} is {k.get('value_text')!r}, {n['figure_id']} is {n.get('value_text')!r}"
            )
        res = vk / vn * 100
        exact = abs(res - round(res, 2)) < 1e-9
        expr = f"{k['value_text']} / {n['value_text']} × 100 {'=' if exact else '≈'} {_num(res)}%"
        return res, "%", expr, int(vn), 0.0
    if formula == "difference":
        a, b = inputs
        va, vb = _point(a), _point(b)
        if va is None or vb is None or a.get("unit") != b.get("unit"):
            return f"difference needs two point values in the same unit; {a['figure_id']} and {b['figure_id']} are not"
        res = va - vb
        return (
            res,
            a["unit"],
            f"{a['value_text']} − {b['value_text']} = {_num(res)} {a['unit']}",
            None,
            _rounding(a) + _rounding(b),
        )
    return f"unknown formula {formula!r}"  # pragma: no cover - the vocabulary check comes first


def _typed(f: schemas.Field, v: str):
    return field_type(f.type).parse(v)


def derived_figures(figures: list[dict], raw_dir=None, issues: list[Issue] | None = None) -> list[dict]:
    """Rows of derived_figures from every ``raw/<source_id>/derived.csv``; problems go to ``issues``."""
    from .validation.reading import read_csv

    issues = [] if issues is None else issues
    raw_dir = Path(raw_dir) if raw_dir is not None else schemas.ROOT / "raw"
    by_id = {f["figure_id"]: f for f in figures}
    coded = _coded_fields()
    allowed = set(_OWN) | {f.name for f in coded}
    formulas = schemas.vocabulary("formula")
    out: list[dict] = []
    seen: set[str] = set()
    for path in sorted(raw_dir.glob(f"*/{DERIVED_FILE}")):
        source = path.parent.name
        shown = f"{path.parent.name}/{DERIVED_FILE}"
        local: list[Issue] = []
        raw = read_csv(path, shown, local)
        for name in raw.columns:
            if name not in allowed:
                local.append(Issue(shown, 1, name, name, "unknown-column", "derived.csv does not know this column"))
        for name in ("derived_id", "formula", "inputs", "measure"):
            if raw.readable and name not in raw.columns:
                local.append(Issue(shown, 1, name, "", "missing-column", "derived.csv needs this column"))
        if local:
            issues.extend(local)
            continue
        for cells in raw.rows:
            line = next(iter(cells.values())).line
            get = lambda k: (cells[k].value if k in cells else "") or ""  # noqa: E731
            did, formula = get("derived_id"), get("formula")

            def bad(fld, value, code, why):
                issues.append(Issue(shown, line, fld, value, code, why))

            if not did.startswith(f"{source}/d") or not did[len(source) + 2 :].isdigit():
                bad("derived_id", did, "pattern", f"must be {source}/d<nn>")
                continue
            if did in seen:
                bad("derived_id", did, "duplicate-id", "this derived_id is used twice")
                continue
            seen.add(did)
            if formula not in formulas:
                bad("formula", formula, "unknown-code", "not a code of schemas/vocab/formula.csv")
                continue
            ids = [x.strip() for x in get("inputs").split(";") if x.strip()]
            want = int(formulas[formula]["inputs"])
            if len(ids) != want:
                bad(
                    "inputs",
                    get("inputs"),
                    "derived-input",
                    f"{formula} takes {want} input figure(s); {len(ids)} given",
                )
                continue
            missing = [x for x in ids if x not in by_id or by_id[x]["source_id"] != source]
            if missing:
                bad("inputs", "; ".join(missing), "derived-input", f"not a figure of {source}")
                continue
            ins = [by_id[x] for x in ids]
            res = compute(formula, ins)
            if isinstance(res, str):
                bad("formula", formula, "derived-formula", res)
                continue
            value, unit, expression, n, tol = res
            row = {
                "derived_id": did,
                "source_id": source,
                "formula": formula,
                "inputs": "; ".join(ids),
                "expression": expression,
                "value": _clean(value),
                "unit": unit,
                "n": n,
                "note": get("note") or None,
                "qualifier": "exact",
                "_tol": tol,
            }
            ok = True
            for f in coded:
                v = get(f.name)
                if v:
                    codes = schemas.vocabulary(f.vocabulary) if f.vocabulary else None
                    if codes is not None and v not in codes:
                        bad(f.name, v, "unknown-code", f"not a code of schemas/vocab/{f.vocabulary}.csv")
                        ok = False
                        continue
                    try:
                        row[f.name] = _typed(f, v)
                    except CellTypeError as e:
                        bad(f.name, v, "type", str(e))
                        ok = False
                        continue
                    if f.minimum is not None and row[f.name] < f.minimum:
                        bad(f.name, v, "minimum", f"must be at least {f.minimum}")
                        ok = False
                    elif f.maximum is not None and row[f.name] > f.maximum:
                        bad(f.name, v, "maximum", f"must be at most {f.maximum}")
                        ok = False
                else:
                    row[f.name] = ins[0].get(f.name)
            if not ok:
                continue
            dim = schemas.measure_dimension(row["measure"])
            if schemas.vocabulary("unit")[unit]["dimension"] != dim:
                bad("measure", row["measure"], "unit-dimension", f"a {formula} gives {unit}, which does not fit {dim}")
                continue
            row["value_canonical"] = _clean(value * schemas.unit_factor(unit))
            out.append(row)
    return out


def tolerance(d: dict, figures_by_id: dict[str, dict]) -> float:
    """The rounding a derived figure inherits from its printed inputs (for comparisons)."""
    res = compute(d["formula"], [figures_by_id[x] for x in d["inputs"].split("; ")])
    return 0.0 if isinstance(res, str) else res[4]
