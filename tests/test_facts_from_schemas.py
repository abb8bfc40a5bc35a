"""Each fact is stated once, in schemas/, and every module that needs it follows it.

Two kinds of test. The first changes a copy of schemas/ (a qualifier of a new shape, a new
contrast measure, a population or measure code the report has never seen, a new Table
Schema type) and checks that each consumer follows without a code change. The second reads
the package's source and fails when a module spells out a qualifier code, a measure code,
the Table Schema type map, the number grammar or a table name instead of asking schemas/.
"""

from __future__ import annotations

import ast
import csv
import json
import math
import re
import shutil
import sys
from pathlib import Path

import pytest
from figure_records import numbered

from conftest import ROOT
from ketamine_ssri_evidence import comparison, field_types, loader, schemas
from ketamine_ssri_evidence.claim_checks import check_claim
from ketamine_ssri_evidence.contradictions import contradictions

PACKAGE = ROOT / "datapackage"
QUALIFIERS = schemas.vocabulary("qualifier")
REPORT = json.loads((ROOT / "schemas" / "report.json").read_text(encoding="utf-8"))


def _clear_caches() -> None:
    """Forget everything read from schemas/ (the JavaScript bundle of the report excepted: it reads none)."""
    for name, mod in list(sys.modules.items()):
        if not name.startswith("ketamine_ssri_evidence"):
            continue
        for attr in vars(mod).values():
            if (
                callable(getattr(attr, "cache_clear", None))
                and getattr(attr, "__module__", "") == name
                and attr.__name__ != "_bundle"
            ):
                attr.cache_clear()


class Schemas:
    """A copy of schemas/ that the package reads instead of the real one."""

    def __init__(self, root: Path):
        self.root = root

    def add_code(self, vocabulary: str, **row: str) -> None:
        path = self.root / "vocab" / f"{vocabulary}.csv"
        with path.open(encoding="utf-8", newline="") as f:
            columns = next(csv.reader(f))
        with path.open("a", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerow([row.get(c, "") for c in columns])
        _clear_caches()

    def edit(self, name: str, change) -> None:
        path = self.root / name
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, indent=2), encoding="utf-8")
        _clear_caches()


@pytest.fixture
def schema_copy(tmp_path, monkeypatch):
    copy = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", copy)
    monkeypatch.setattr(schemas, "SCHEMAS", copy)
    monkeypatch.setattr(schemas, "VOCAB_DIR", copy / "vocab")
    _clear_caches()
    yield Schemas(copy)
    monkeypatch.undo()
    _clear_caches()


def fig(value_text, qualifier="exact", value=None, low=None, high=None, source="article", **kw):
    return numbered(value_text, qualifier, value, low, high, source=source, **kw)


def _claim(a, study_figs):
    a["attributed_to"] = "study"
    return check_claim(a, {"source_id": "study", "resolution": "public_text"}, study_figs)


# ------------------------------------------------------------------ qualifiers


def _figure_of_shape(code: str) -> dict:
    shape = QUALIFIERS[code]["shape"]
    if shape == "range":
        return fig("30–40%", code, low=30, high=40)
    if shape == "point":
        return fig("30%", code, value=30)
    return fig("most patients", code, unit=None)


@pytest.mark.parametrize("code", list(QUALIFIERS))
def test_a_figure_spans_what_its_qualifier_says(code):
    """shape, bound and hedged of qualifier.csv decide the interval a figure stands for."""
    row = QUALIFIERS[code]
    s = comparison.span(_figure_of_shape(code))
    if row["shape"] == "none":
        assert s is None
        return
    assert s is not None
    rel = schemas.comparison()["approx_relative_tolerance"]
    head = 35 if row["shape"] == "range" else 30
    assert s.head == pytest.approx(head)  # % is the canonical unit of a proportion
    assert s.bound == (code if row["bound"] else None)
    assert (s.lo == -math.inf) == (row["bound"] == "upper")
    assert (s.hi == math.inf) == (row["bound"] == "lower")
    top = 40 if row["shape"] == "range" else 30
    if row["bound"] != "lower":  # a hedge widens the figure beyond its rounding
        assert (s.hi >= top * (1 + rel) - 1e-9) == (row["hedged"] == "true")


def test_a_new_qualifier_of_range_shape_is_a_range_everywhere(schema_copy):
    schema_copy.add_code(
        "qualifier",
        code="between",
        label="Between",
        definition="Two ends stated with between.",
        shape="range",
        bound="",
        hedged="false",
        reads_as="range",
    )
    s = comparison.span(fig("between 30% and 40%", "between", low=30, high=40))
    assert s is not None and (s.lo, s.head, s.hi) == pytest.approx((29.5, 35, 40.5))
    # an unhedged range is a printed range: two that meet only at an endpoint conflict
    weeks = dict(unit="wk", measure="onset_time")
    rows = contradictions(
        [fig("2–6 weeks", "between", low=2, high=6, **weeks), fig("6–8 weeks", "between", low=6, high=8, **weeks)]
    )
    assert [r["rule"] for r in rows] == ["ranges_share_endpoint"]


def test_a_new_hedged_bound_is_open_on_one_side_and_widened_on_the_other(schema_copy):
    schema_copy.add_code(
        "qualifier",
        code="roughly_under",
        label="Roughly under",
        definition="A hedged ceiling.",
        shape="point",
        bound="upper",
        hedged="true",
        reads_as="at_most approx",
    )
    s = comparison.span(fig("roughly under 50%", "roughly_under", value=50))
    assert s is not None and s.lo == -math.inf and s.hi == pytest.approx(55) and s.bound == "roughly_under"


def test_which_bounds_are_reached_is_data(schema_copy):
    """'up to' says its ceiling is reached; 'at most' only limits, until comparison.json says otherwise."""
    a, study = fig("at most 72%", "at_most", 72), [fig("30%", value=30, source="study")]
    assert _claim(dict(a), study)["verdict"] == "consistent"
    pair = [fig("at most 20%", "at_most", 20), fig("at most 40%", "at_most", 40)]
    assert contradictions(pair) == []
    schema_copy.edit("comparison.json", lambda d: d["reached_bounds"]["qualifiers"].append("at_most"))
    assert _claim(dict(a), study)["rule"] == "ceiling_not_reached"
    assert [r["rule"] for r in contradictions(pair)] == ["ceilings_differ"]


def test_reached_bounds_are_bounds():
    for code in schemas.comparison()["reached_bounds"]["qualifiers"]:
        assert schemas.qualifier_bound(code), f"{code} is listed in reached_bounds but has no bound"


# ------------------------------------------------------------------ measures


def test_a_new_contrast_measure_is_compared_only_against_its_comparator(schema_copy):
    schema_copy.add_code(
        "measure",
        code="odds_ratio",
        label="Odds ratio",
        definition="An odds ratio.",
        dimension="dimensionless",
        requires="comparator",
        contrast="true",
        signed="false",
    )
    row = _claim(
        fig("OR 2.0", value=2.0, unit="1", measure="odds_ratio", comparator="ssri"),
        [fig("OR 2.0", value=2.0, unit="1", measure="odds_ratio", comparator="placebo", source="study")],
    )
    assert (row["verdict"], row["rule"]) == ("not_comparable", "comparator_differs")


def test_a_measure_that_is_no_contrast_ignores_the_comparator_rule(schema_copy):
    path = schema_copy.root / "vocab" / "measure.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            ",dimensionless,comparator,true,false", ",dimensionless,comparator,false,false"
        ),
        encoding="utf-8",
    )
    _clear_caches()
    assert "relative_ratio" not in schemas.contrast_measures()
    row = _claim(
        fig("2 times", value=2.0, unit="1", measure="relative_ratio", comparator="ssri"),
        [fig("2 times", value=2.0, unit="1", measure="relative_ratio", comparator="placebo", source="study")],
    )
    assert row["rule"] != "comparator_differs"


def test_comparative_words_belong_to_the_measures_comparison_json_names(schema_copy):
    similar = fig("similar", "qualitative", unit=None, measure="relative_ratio")
    assert comparison.span(similar) is not None
    assert comparison.span(dict(similar, measure="effect_size")) is None
    schema_copy.edit("comparison.json", lambda d: d["comparative_words"]["measures"].append("effect_size"))
    assert comparison.span(dict(similar, measure="effect_size")) is not None


def test_comparative_word_measures_are_measures():
    for m in schemas.comparison()["comparative_words"]["measures"]:
        assert m in schemas.vocabulary("measure")


# ------------------------------------------------------------------ Table Schema types


def _release_schema(types):
    return {"fields": [{"name": f"c_{t}", "type": t} for t in types]}


@pytest.mark.parametrize("name", list(field_types.TYPES))
def test_loading_and_pandera_take_the_dtype_of_field_types(name):
    pd = pytest.importorskip("pandas")
    want = field_types.TYPES[name].pandas
    assert loader.dtypes("t", _release_schema([name]))[f"c_{name}"] == pd.api.types.pandas_dtype(want)
    pytest.importorskip("pandera.pandas")
    from pandera.engines.pandas_engine import Engine

    from ketamine_ssri_evidence.pandera_schema import dataframe_schema

    t = schemas.Table("t", "", (schemas.Field(f"c_{name}", name),), (), (), "t.csv", "csv")
    assert dataframe_schema(t).columns[f"c_{name}"].dtype == Engine.dtype(want)


def test_a_new_type_is_one_entry_in_field_types(monkeypatch):
    pd = pytest.importorskip("pandas")
    year = field_types.FieldType(
        "year", field_types.TYPES["integer"].parse, "int32", "Int32", "sc:Integer", "number", numeric=True, digits=True
    )
    monkeypatch.setitem(field_types.TYPES, "year", year)
    assert loader.dtypes("t", _release_schema(["year"]))["c_year"] == pd.Int32Dtype()
    pytest.importorskip("pandera.pandas")
    from ketamine_ssri_evidence.pandera_schema import dataframe_schema

    t = schemas.Table("t", "", (schemas.Field("y", "year", minimum=1900),), (), (), "t.csv", "csv")
    schema = dataframe_schema(t)
    assert str(schema.columns["y"].dtype) == "Int32"
    schema.validate(pd.DataFrame({"y": pd.Series([2020, None], dtype="Int32")}))


# ------------------------------------------------------------------ the report


def test_report_configuration_names_only_codes_that_exist():
    measures, qualifiers = schemas.vocabulary("measure"), schemas.vocabulary("qualifier")
    for g in REPORT["measure_groups"]:
        assert set(g["measures"]) <= set(measures), g["name"]
    for kind, colours in REPORT["colors"].items():
        if kind in schemas.vocabulary_names():
            assert set(colours) <= set(schemas.vocabulary(kind)), kind
    assert set(REPORT["shapes"]["qualifier"]) <= set(qualifiers)
    assert schemas.table("figures").field("dimension").vocabulary == "dimension"
    assert REPORT["claims_dimension"] in schemas.vocabulary("dimension")


@pytest.mark.parametrize("code", [c for c, r in QUALIFIERS.items() if r["shape"] != "none"])
def test_every_drawn_qualifier_has_a_shape(code):
    assert code in REPORT["shapes"]["qualifier"], f"{code} would be drawn as a plain circle"


def _points(report, population="trd", measure="remission_rate"):
    figures = [
        fig("30%", value=30, population=population, measure=measure),
        fig("40%", value=40, population="mdd", measure=measure),
    ]
    for f in figures:
        f.update(value_canonical=f["value"], unit_canonical="%", dimension="proportion")
    return report.figure_points(figures, {}, {})


def test_a_new_population_is_drawn_in_its_own_palette_colour_and_listed(schema_copy):
    alt = pytest.importorskip("altair")
    from ketamine_ssri_evidence import report

    schema_copy.add_code("population", code="postpartum", label="Postpartum depression", definition="After childbirth.")
    schema_copy.add_code(
        "population", code="perimenopausal", label="Perimenopausal depression", definition="Around menopause."
    )
    cfg = report.config()
    fixed = cfg["colors"]["population"]
    colour, other = report.colours("population", ["postpartum", "perimenopausal"])
    assert {colour, other} <= set(cfg["palette"]) and not {colour, other} & set(fixed.values()) and colour != other
    # each keeps its colour whichever other codes a chart shows
    assert report.colours("population", ["perimenopausal"]) == [other]
    assert report.colours("population", ["trd", "postpartum", "mdd"])[1] == colour
    group = next(g for g in cfg["measure_groups"] if "remission_rate" in g["measures"])
    points = _points(report, population="postpartum")
    chart, n = report.group_chart(alt, points, group, interactive=False)
    assert n == 2
    scale = chart.to_dict()["layer"][1]["encoding"]["color"]["scale"]
    assert dict(zip(scale["domain"], scale["range"]))["Postpartum depression"] == colour
    pick = next(p for p in report._filters(alt, points) if p.name == "pick_population").param.to_dict()
    assert "postpartum" in pick["bind"]["options"] and "Postpartum depression" in pick["bind"]["labels"]


def test_a_new_measure_is_listed_and_drawn_once_a_group_names_it(schema_copy):
    alt = pytest.importorskip("altair")
    from ketamine_ssri_evidence import report

    schema_copy.add_code(
        "measure",
        code="partial_response_rate",
        label="Partial response rate",
        definition="Share of patients with a partial response.",
        dimension="proportion",
        contrast="false",
        signed="false",
    )
    figures = [fig("30%", value=30, measure="partial_response_rate")]
    counts = json.dumps(report.counts_chart(alt, figures, {}).to_dict())
    assert "Partial response rate" in counts
    assert _points(report, measure="partial_response_rate") == []  # no group names it yet
    schema_copy.edit("report.json", lambda d: d["measure_groups"][0]["measures"].append("partial_response_rate"))
    points = _points(report, measure="partial_response_rate")
    assert {p["measure"] for p in points} == {"Partial response rate"} and len(points) == 2


def test_a_figure_of_a_new_qualitative_qualifier_is_not_drawn(schema_copy):
    pytest.importorskip("altair")
    from ketamine_ssri_evidence import report

    schema_copy.add_code(
        "qualifier",
        code="vague",
        label="Vague",
        definition="No number.",
        shape="none",
        bound="",
        hedged="false",
        reads_as="",
    )
    figures = [fig("30%", "vague", value=30)]
    figures[0].update(value_canonical=30, unit_canonical="%", dimension="proportion")
    assert report.figure_points(figures, {}, {}) == []


# ------------------------------------------------------------------ no module restates a fact

VOCABS = {v: set(schemas.vocabulary(v)) for v in ("qualifier", "measure")}
TYPE_NAMES = set(field_types.TYPES)
TABLES = set(schemas.table_names())
GRAMMARS = {field_types.NUMBER.pattern}
# where a module's own job is the thing the scan looks for
OWN_JOB = {
    "field_types.py": "the one map from a Table Schema type to its parser, Arrow type, pandas dtype and Croissant type",
    "schemas.py": "reads schemas/",
    "figure_text.py": "defines the value_text hints (up_to, approx, range, ...) that qualifier.csv's reads_as names",
    "report.py": "its charts are named for the tables they draw",
}
# restated facts still to convert (their modules are being rewritten); each entry goes once it is
PENDING: dict[str, str] = {}


def _looks_like_type(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "type"
    if isinstance(node, ast.Name):
        return node.id in ("typ", "type_", "ftype", "t_type")
    if isinstance(node, ast.Subscript | ast.Call):
        return "type" in ast.unparse(node)
    return False


def _looks_like_table(node: ast.expr) -> bool:
    text = ast.unparse(node)
    return bool(re.fullmatch(r"(\w+\.)?(table|table_name|name|t)", text)) or text.endswith("['name']")


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _typed_in(scope: ast.AST) -> list[tuple[int, str]]:
    """(line, type) of every comparison of a type with a Table Schema type name inside ``scope``."""
    out = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for i, side in enumerate(sides):
                if any(_looks_like_type(o) for o in sides[:i] + sides[i + 1 :]):
                    out += [(node.lineno, s) for s in _strings(side) if s in TYPE_NAMES]
    return out


def restated_facts(source: str) -> list[str]:
    """Where a module's source spells out a fact that lives in schemas/ (``line: what``).

    A qualifier or measure code compared or listed; two or more Table Schema types tested in
    one function (one rule about one type, such as durations comparing in days, is no map);
    a map keyed by types; a table name tested; the number grammar of field_types.
    """
    tree = ast.parse(source)
    found = []
    scopes: list[ast.AST] = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    for scope in scopes or [tree]:
        typed = _typed_in(scope)
        if len({t for _, t in typed}) >= 2:
            found += [f"{line}: Table Schema type {t!r} tested" for line, t in typed]
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for i, side in enumerate(sides):
                others = sides[:i] + sides[i + 1 :]
                if any("shape" in ast.unparse(o) for o in others):
                    continue  # a qualifier's shape (point, range, none), not its code
                for s in _strings(side):
                    for vocab, codes in VOCABS.items():
                        if s in codes:
                            found.append(f"{node.lineno}: {vocab} code {s!r} compared")
                    if s in TABLES and any(_looks_like_table(o) for o in others):
                        found.append(f"{node.lineno}: table {s!r} tested")
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            strings = _strings(node)
            for vocab, codes in VOCABS.items():
                if len(set(strings) & codes) >= 2:
                    found.append(f"{node.lineno}: {vocab} codes {sorted(set(strings) & codes)} listed")
        elif isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            if len(set(keys) & TYPE_NAMES) >= 3:
                found.append(f"{node.lineno}: a map of Table Schema types")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.strip("^$") in GRAMMARS:
                found.append(f"{node.lineno}: the number grammar")
    return sorted(set(found), key=lambda x: (int(x.split(":")[0]), x))


def test_the_scan_finds_what_it_looks_for():
    src = """
BOUNDS = ("up_to", "at_least")
def f(q, field, table):
    if q == "approx_range" or field.type in ("number", "integer"):
        return {"string": 1, "number": 2, "integer": 3}
    if table == "figures":
        return r"^-?[0-9]+(\\.[0-9]+)?$"
"""
    kinds = [line.split(": ", 1)[1].split(" ")[0] for line in restated_facts(src)]
    assert kinds == ["qualifier", "Table", "Table", "qualifier", "a", "table", "the"]


@pytest.mark.parametrize(
    "module", sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if p.name not in OWN_JOB)
)
def test_no_module_restates_a_fact_of_schemas(module, request):
    if module in PENDING:
        request.applymarker(pytest.mark.xfail(reason=f"to convert: {PENDING[module]}", strict=False))
    found = restated_facts((PACKAGE / module).read_text(encoding="utf-8"))
    assert not found, f"{module} restates facts of schemas/:\n" + "\n".join(found)
