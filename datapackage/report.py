"""An explorable report of a release: one self-contained HTML page, and static PNGs of its charts.

    python -m ketamine_ssri_evidence report [--version V] [--out DIR]

Writes ``DIR/index.html`` and each chart as ``DIR/<name>.png``. The page loads nothing from
the network: the charting libraries (Vega, Vega-Lite, Vega-Embed, bundled by vl-convert) and
the data are inlined. Every point, on hover, shows its figure as printed, source, locator,
population and time-point, and for a credited claim the study's figure and the verdict;
drop-downs filter every chart by measure, treatment and population; the claims and
contradictions tables sort on a click on a header and filter on a search. Charts are
declared with altair (``pip install -e '.[report]'``).

Groups of measures, colours and axis titles are data in ``schemas/report.json``; labels and
the classes of verdicts and severities come from ``schemas/vocab/``, so a new code shows up
without a code change.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import schemas

PAGE_ID = "report"
ALL = "all"


@dataclass
class Chart:
    name: str
    title: str
    caption: str
    spec: dict  # Vega-Lite, interactive (bound to the page's filters)
    png: bytes  # static, for documents that cannot run scripts
    marks: dict  # mark name -> number of marks it should draw (one per figure or claim)


# ------------------------------------------------------------------ configuration from schemas/


def config() -> dict:
    return json.loads((schemas.SCHEMAS / "report.json").read_text(encoding="utf-8"))


def labels(vocabulary: str) -> dict[str, str]:
    return {code: row["label"] for code, row in schemas.vocabulary(vocabulary).items()}


def colours(kind: str, codes: list[str]) -> list[str]:
    """One colour per code: the configured one, else a colour of the palette that no configured
    code of ``kind`` has. A code without a configured colour keeps its palette colour in every chart:
    the spare colours go to the codes of vocabulary ``kind`` in its order, then to codes it lacks."""
    cfg = config()
    fixed = cfg["colors"].get(kind, {})
    palette = [c for c in cfg["palette"] if c not in fixed.values()] or cfg["palette"]
    known = list(schemas.vocabulary(kind)) if kind in schemas.vocabulary_names() else []
    spare = [c for c in known if c not in fixed]
    spare += sorted({c for c in codes if c not in fixed and c not in spare})
    return [fixed[c] if c in fixed else palette[spare.index(c) % len(palette)] for c in codes]


def _scale(kind: str, vocabulary: str, present) -> dict:
    """A colour scale over the classes present in the data, in vocabulary order, labelled."""
    lab = labels(vocabulary)
    codes = [c for c in lab if c in set(present)] + sorted(set(present) - set(lab))
    return {"domain": [lab.get(c, c) for c in codes], "range": colours(kind, codes)}


# ------------------------------------------------------------------ data


def _text(v) -> str:
    return "" if v is None or v != v else str(v)


def _timepoint(f, anchors: dict[str, str]) -> str:
    parts = []
    if _text(f.get("timepoint")):
        parts.append(_text(f["timepoint"]) + (f"–{_text(f['timepoint_end'])}" if _text(f.get("timepoint_end")) else ""))
    if _text(f.get("timepoint_sessions")):
        s = f"session {f['timepoint_sessions']}"
        if _text(f.get("timepoint_sessions_end")):
            s += f"–{f['timepoint_sessions_end']}"
        parts.append(s)
    if _text(f.get("timepoint_anchor")):
        parts.append("from " + anchors.get(str(f["timepoint_anchor"]), str(f["timepoint_anchor"])).lower())
    return ", ".join(parts) if parts else "not stated"


def _number(v):
    return None if v is None or v != v else float(v)


def figure_points(figures: list[dict], sources: dict[str, dict], claims: dict[str, dict]) -> list[dict]:
    """One record per figure with a number, in every group of ``schemas/report.json`` it belongs to."""
    cfg = config()
    lab = {v: labels(v) for v in ("measure", "treatment", "population", "qualifier", "timepoint_anchor", "verdict")}
    by_id = {f["figure_id"]: f for f in figures}
    out = []
    for g in cfg["measure_groups"]:
        rows: dict[str, list[dict]] = {}
        for f in figures:
            if f["measure"] not in g["measures"] or schemas.qualifier_shape(f["qualifier"]) == "none":
                continue
            suffix = "" if g["values"] == "stated" else "_canonical"
            v, lo, hi = (_number(f.get(k + suffix)) for k in ("value", "low", "high"))
            if v is None and (lo is None or hi is None):
                continue
            x = v if v is not None else (lo + hi) / 2
            if g["scale"] == "log" and (x <= 0 or (lo is not None and lo <= 0)):
                continue
            treatment = lab["treatment"].get(f["treatment"], f["treatment"])
            row = f"{treatment} | {f['source_id']}"
            if len(g["measures"]) > 1:
                row = f"{lab['measure'].get(f['measure'], f['measure'])} · {row}"
            src = sources.get(f["source_id"], {})
            c = claims.get(f["figure_id"])
            study = by_id.get(c["study_figure_id"]) if c and c.get("study_figure_id") else None
            rec = {
                "group": g["name"],
                "row": row,
                "figure_id": f["figure_id"],
                "value_text": f["value_text"],
                "x": x,
                "x_lo": lo if v is None else None,
                "x_hi": hi if v is None else None,
                "unit": _text(f.get("unit_canonical" if suffix else "unit")),
                "measure_code": f["measure"],
                "measure": lab["measure"].get(f["measure"], f["measure"]),
                "treatment_code": f["treatment"],
                "treatment": treatment,
                "population_code": f["population"],
                "population": lab["population"].get(f["population"], f["population"]),
                "population_as_stated": _text(f.get("population_as_stated")),
                "qualifier": lab["qualifier"].get(f["qualifier"], f["qualifier"]),
                "qualifier_code": f["qualifier"],
                "source": _text(src.get("title")) or f["source_id"],
                "source_id": f["source_id"],
                "locator": f["locator"],
                "timepoint": _timepoint(f, lab["timepoint_anchor"]),
                "verdict": lab["verdict"].get(c["verdict"], c["verdict"]) if c else "",
                "study_figure": (
                    f"{study['value_text']} ({study['source_id']}, {study['locator']})"
                    if study
                    else ("no figure of the study for it" if c else "")
                ),
            }
            rows.setdefault(row, []).append(rec)
        for recs in rows.values():
            recs.sort(key=lambda r: r["figure_id"])
            for i, r in enumerate(recs):  # spread a row's figures across its band
                r["offset"] = round((i + 0.5) / len(recs), 6)
            out += recs
    return out


def claim_points(claims: list[dict], figures: list[dict], sources: dict[str, dict]) -> list[dict]:
    """Per credited claim with a number in the claims dimension: the article's point and the study's."""
    cfg = config()
    lab = {v: labels(v) for v in ("measure", "treatment", "population", "timepoint_anchor", "verdict", "check_rule")}
    by_id = {f["figure_id"]: f for f in figures}
    out = []
    for c in claims:
        a = by_id.get(c["figure_id"])
        if a is None or a.get("dimension") != cfg["claims_dimension"]:
            continue
        s = by_id.get(c["study_figure_id"]) if c.get("study_figure_id") else None
        pts = []
        for role, f in (("article says", a), ("study states", s)):
            if f is None:
                continue
            v, lo, hi = (_number(f.get(k)) for k in ("value_canonical", "low_canonical", "high_canonical"))
            if v is None and (lo is None or hi is None):
                continue
            pts.append((role, f, v if v is not None else (lo + hi) / 2))
        if not pts or pts[0][0] != "article says":
            continue
        row = f"{a['value_text']} ({lab['measure'].get(a['measure'], a['measure']).lower()}) → {c['attributed_to']}"
        for role, f, x in pts:
            out.append(
                {
                    "row": row,
                    "role": role,
                    "x": x,
                    "figure_id": f["figure_id"],
                    "value_text": f["value_text"],
                    "source": _text(sources.get(f["source_id"], {}).get("title")) or f["source_id"],
                    "source_id": f["source_id"],
                    "locator": f["locator"],
                    "measure_code": a["measure"],
                    "measure": lab["measure"].get(a["measure"], a["measure"]),
                    "treatment_code": a["treatment"],
                    "treatment": lab["treatment"].get(a["treatment"], a["treatment"]),
                    "population_code": a["population"],
                    "population": lab["population"].get(f["population"], f["population"]),
                    "timepoint": _timepoint(f, lab["timepoint_anchor"]),
                    "verdict": lab["verdict"].get(c["verdict"], c["verdict"]),
                    "rule": lab["check_rule"].get(c["rule"], c["rule"]),
                    "reason": _text(c.get("reason")),
                    "study_figure": (
                        f"{s['value_text']} ({s['source_id']}, {s['locator']})"
                        if s
                        else "no figure of the study for it"
                    ),
                }
            )
    return out


# ------------------------------------------------------------------ charts

TOOLTIP = [
    ("value_text", "as printed"),
    ("source", "source"),
    ("source_id", "source id"),
    ("locator", "where"),
    ("measure", "measure"),
    ("treatment", "treatment"),
    ("population", "population"),
    ("population_as_stated", "population as stated"),
    ("timepoint", "time-point"),
    ("qualifier", "qualifier"),
    ("unit", "unit"),
    ("study_figure", "the study's figure"),
    ("verdict", "verdict"),
    ("figure_id", "figure id"),
]
CLAIM_TOOLTIP = [
    ("value_text", "as printed"),
    ("role", "this point"),
    ("source", "source"),
    ("locator", "where"),
    ("population", "population"),
    ("timepoint", "time-point"),
    ("study_figure", "the study's figure"),
    ("verdict", "verdict"),
    ("rule", "rule"),
    ("reason", "reason"),
    ("figure_id", "figure id"),
]


def _tooltip(alt, fields, present):
    return [alt.Tooltip(f"{k}:N", title=t) for k, t in fields if k in present]


def _filters(alt, points: list[dict]):
    """The page's three drop-downs, over the codes present in the data, labelled."""
    params = []
    for key, vocab, name in (
        ("measure", "measure", "Measure"),
        ("treatment", "treatment", "Treatment"),
        ("population", "population", "Population"),
    ):
        lab = labels(vocab)
        present = {p[f"{key}_code"] for p in points}
        codes = [c for c in lab if c in present]
        params.append(
            alt.param(
                name=f"pick_{key}",
                value=ALL,
                bind=alt.binding_select(
                    options=[ALL] + codes, labels=[f"all ({len(codes)})"] + [lab[c] for c in codes], name=f"{name} "
                ),
            )
        )
    return params


def _unbound(alt):
    """The filters as a chart's own parameters; the page sets them from its drop-downs."""
    return [alt.param(name=f"pick_{k}", value=ALL) for k in ("measure", "treatment", "population")]


def _filter_expr(keys=("measure", "treatment", "population")) -> str:
    return " && ".join(f"(pick_{k} == '{ALL}' || datum.{k}_code == pick_{k})" for k in keys)


def group_chart(alt, points: list[dict], group: dict, interactive: bool):
    data = [p for p in points if p["group"] == group["name"]]
    present = {k for p in data for k, v in p.items() if v not in (None, "")}
    pop = _scale("population", "population", [p["population_code"] for p in data])
    x_scale = alt.Scale(domain=group["domain"]) if "domain" in group else alt.Scale(type=group["scale"], nice=True)
    y = alt.Y("row:N", title=None, sort="ascending", axis=alt.Axis(labelLimit=0, labelFontSize=11))
    off = alt.YOffset("offset:Q", scale=alt.Scale(domain=[0, 1]))
    color = alt.Color(
        "population:N",
        title="population",
        scale=alt.Scale(**pop),
        legend=alt.Legend(orient="bottom", columns=4, labelLimit=0),
    )
    values = alt.Data(values=data)
    base = alt.Chart()
    if interactive:
        base = base.transform_filter(_filter_expr())
    ranges = (
        base.transform_filter("isValid(datum.x_lo)")
        .mark_rule(strokeWidth=4, opacity=0.6)
        .encode(x=alt.X("x_lo:Q"), x2="x_hi:Q", y=y, yOffset=off, color=color, tooltip=_tooltip(alt, TOOLTIP, present))
    )
    shapes = config().get("shapes", {}).get("qualifier", {})
    lab_q = labels("qualifier")
    forms = [c for c in lab_q if c in {p["qualifier_code"] for p in data}]
    shape = alt.Shape(
        "qualifier:N",
        title="form",
        legend=alt.Legend(orient="bottom", labelLimit=0),
        scale=alt.Scale(domain=[lab_q[c] for c in forms], range=[shapes.get(c, "circle") for c in forms]),
    )
    pts = (
        base.mark_point(filled=True, size=70, opacity=0.9, stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("x:Q", title=group["axis"], scale=x_scale),
            y=y,
            yOffset=off,
            color=color,
            shape=shape,
            tooltip=_tooltip(alt, TOOLTIP, present),
            description=alt.Description("describe:N"),
        )
        .transform_calculate(describe="datum.value_text + ' — ' + datum.source_id + ' (' + datum.figure_id + ')'")
    )
    layer = alt.layer(ranges, pts.properties(name=f"points_{group['name']}"), data=values)
    n_rows = len({p["row"] for p in data}) or 1
    return layer.properties(
        title=alt.Title(group["title"], anchor="start"),
        width=620,
        height=max(60, 26 * n_rows + 6 * (len(data) - n_rows)),
    ), len(data)


def claims_chart(alt, points: list[dict], interactive: bool):
    present = {k for p in points for k, v in p.items() if v not in (None, "")}
    verdict = _scale("verdict", "verdict", [v for v in {p["verdict"] for p in points}])
    # the scale's domain is labels already (points carry labels): keep the vocabulary order
    order = list(labels("verdict").values())
    dom = [v for v in order if v in {p["verdict"] for p in points}] + sorted(
        {p["verdict"] for p in points} - set(order)
    )
    codes = {lab: code for code, lab in labels("verdict").items()}
    verdict = {"domain": dom, "range": colours("verdict", [codes[d] if d in codes else d for d in dom])}
    values = alt.Data(values=points)
    base = alt.Chart()
    if interactive:
        base = base.transform_filter(_filter_expr())
    y = alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=0, labelFontSize=11))
    axis = config()["claims_axis"]
    x = alt.X("x:Q", title=axis["title"], scale=alt.Scale(domain=axis["domain"]))
    color = alt.Color("verdict:N", scale=alt.Scale(**verdict), legend=alt.Legend(orient="bottom", labelLimit=0))
    link = base.mark_line(strokeWidth=1.2, opacity=0.6).encode(x=x, y=y, color=color, detail="row:N")
    pts = (
        base.mark_point(filled=True, size=80, opacity=0.95)
        .encode(
            x=x,
            y=y,
            color=color,
            shape=alt.Shape(
                "role:N",
                title="point",
                scale=alt.Scale(domain=["article says", "study states"], range=["circle", "square"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=_tooltip(alt, CLAIM_TOOLTIP, present),
            description=alt.Description("describe:N"),
        )
        .transform_calculate(describe="datum.value_text + ' — ' + datum.source_id + ' (' + datum.figure_id + ')'")
    )
    n_rows = len({p["row"] for p in points}) or 1
    chart = alt.layer(link, pts.properties(name="points_claims"), data=values).properties(
        title=alt.Title("Article claims against the studies they cite", anchor="start"), width=620, height=22 * n_rows
    )
    return chart, len(points)


def contradictions_chart(alt, contra: list[dict], interactive: bool):
    lab_m, lab_s = labels("measure"), labels("severity")
    counts: dict[tuple, int] = {}
    for c in contra:
        k = (c["source_id"], c["measure"], c["severity"])
        counts[k] = counts.get(k, 0) + 1
    data = [
        {
            "row": f"{s} | {lab_m.get(m, m)}",
            "source_id": s,
            "measure_code": m,
            "measure": lab_m.get(m, m),
            "severity": lab_s.get(sev, sev),
            "pairs": n,
        }
        for (s, m, sev), n in sorted(counts.items())
    ]
    sev = _scale("severity", "severity", [c["severity"] for c in contra])
    base = alt.Chart(alt.Data(values=data))
    if interactive:
        base = base.transform_filter(_filter_expr(("measure",)))
    chart = (
        base.mark_bar()
        .encode(
            x=alt.X("pairs:Q", title="disagreeing groups of figures (count)", stack="zero"),
            y=alt.Y("row:N", title=None, axis=alt.Axis(labelLimit=0)),
            color=alt.Color("severity:N", scale=alt.Scale(**sev), legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("source_id:N", title="source"),
                alt.Tooltip("measure:N", title="measure"),
                alt.Tooltip("severity:N", title="severity"),
                alt.Tooltip("pairs:Q", title="pairs"),
            ],
        )
        .properties(
            title=alt.Title("Contradictions within each source", anchor="start"),
            width=620,
            height=22 * max(1, len({d["row"] for d in data})),
        )
    )
    return chart.properties(name="bars_contradictions"), len(data)


def counts_chart(alt, figures: list[dict], sources: dict[str, dict]):
    lab_m = labels("measure")
    bar_source, bar_measure = colours("counts", ["sources", "measures"])
    per_source: dict[str, int] = {}
    per_measure: dict[str, int] = {}
    for f in figures:
        per_source[f["source_id"]] = per_source.get(f["source_id"], 0) + 1
        per_measure[f["measure"]] = per_measure.get(f["measure"], 0) + 1
    a = (
        alt.Chart(
            alt.Data(
                values=[
                    {"source_id": s, "figures": n, "title": _text(sources.get(s, {}).get("title"))}
                    for s, n in sorted(per_source.items())
                ]
            )
        )
        .mark_bar(color=bar_source)
        .encode(
            x=alt.X("figures:Q", title="figures (count)"),
            y=alt.Y("source_id:N", sort="-x", title="source", axis=alt.Axis(labelLimit=0)),
            tooltip=[
                alt.Tooltip("source_id:N", title="source id"),
                alt.Tooltip("title:N", title="title"),
                alt.Tooltip("figures:Q", title="figures"),
            ],
        )
        .properties(title="Figures per source", width=260)
    )
    b = (
        alt.Chart(alt.Data(values=[{"measure": lab_m.get(m, m), "figures": n} for m, n in sorted(per_measure.items())]))
        .mark_bar(color=bar_measure)
        .encode(
            x=alt.X("figures:Q", title="figures (count)"),
            y=alt.Y("measure:N", sort="-x", title="measure", axis=alt.Axis(labelLimit=0)),
            tooltip=["measure:N", "figures:Q"],
        )
        .properties(title="Figures per measure", width=260)
    )
    return alt.hconcat(a, b)


# ------------------------------------------------------------------ page

CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}.caption{color:#555;font-size:.9em}
.stat{display:inline-block;margin:0 1.5em .5em 0}.stat b{font-size:1.4em;display:block}
#filters{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #eee;z-index:5}
.vega-bindings{display:flex;flex-wrap:wrap;gap:1em}.vega-bind select{max-width:22em}
table{border-collapse:collapse;font-size:.85em;margin:1em 0;width:100%}td,th{border:1px solid #ddd;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f4f4f4;cursor:pointer;user-select:none}th[aria-sort=ascending]::after{content:' ▲'}th[aria-sort=descending]::after{content:' ▼'}
input.search{padding:.3em .5em;width:22em;font-size:.95em}#vg-tooltip-element{max-width:520px}"""

TABLE_JS = """
function sortable(table){
  const body=table.tBodies[0];
  table.querySelectorAll('th').forEach((th,i)=>th.addEventListener('click',()=>{
    const asc=th.getAttribute('aria-sort')!=='ascending';
    table.querySelectorAll('th').forEach(h=>h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort',asc?'ascending':'descending');
    const rows=Array.from(body.rows);
    rows.sort((a,b)=>{const x=a.cells[i].textContent,y=b.cells[i].textContent;
      return (asc?1:-1)*x.localeCompare(y,undefined,{numeric:true});});
    rows.forEach(r=>body.appendChild(r));
  }));
}
function searchable(input,table){
  input.addEventListener('input',()=>{const q=input.value.toLowerCase();let n=0;
    Array.from(table.tBodies[0].rows).forEach(r=>{const show=r.textContent.toLowerCase().includes(q);r.hidden=!show;n+=show;});
    document.getElementById(table.id+'-count').textContent=n;});
}
document.querySelectorAll('table.data').forEach(t=>{sortable(t);searchable(document.getElementById(t.id+'-search'),t);});
"""


def _table_html(table_id: str, rows: list[dict], columns: list[tuple[str, str]]) -> str:
    head = "".join(f"<th scope='col'>{html.escape(t)}</th>" for _, t in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_text(r.get(k)))}</td>" for k, _ in columns) + "</tr>" for r in rows
    )
    return (
        f"<p><input type='search' class='search' id='{table_id}-search' placeholder='Search the table' "
        f"aria-label='Search the table'> <span id='{table_id}-count'>{len(rows)}</span> rows; click a header to sort.</p>"
        f"<table class='data' id='{table_id}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _records(df) -> list[dict]:
    if df is None:
        return []
    df = df.astype(object).where(df.notna(), None)
    return df.to_dict("records")


def _load(version, root):
    from . import loader

    version = version or loader.current_version(root)
    names = loader.tables(version, root)
    get = {n: _records(loader.load(n, version, root)) for n in names}
    return (
        version,
        get.get("figures", []),
        get.get("sources", []),
        get.get("claim_checks", []),
        get.get("contradictions", []),
    )


@lru_cache(maxsize=None)
def _bundle(vl_version: str) -> str:
    """Vega, Vega-Lite and Vega-Embed as one script, to inline (slow to make: made once)."""
    import vl_convert as vlc

    # snippet defaults to None at run time (the bundle's own snippet); the library's stub says it is required
    return vlc.javascript_bundle(vl_version=vl_version)  # type: ignore[call-arg]


def _untitled(spec: dict) -> dict:
    """On the page a heading names the chart; the static image keeps its title."""
    spec.pop("title", None)
    return spec


def _drawn(spec: dict) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec, scale=1)


def charts(version: str | None = None, root=None, draw: bool = True) -> tuple[str, list[Chart], dict]:
    """The release's charts and the data the page needs: ``(version, charts, data)``;
    ``draw=False`` gives the specifications only (each chart's ``png`` is empty)."""
    import altair as alt

    def _png(chart) -> bytes:  # the static chart's image (its specification made only to draw it)
        return _drawn(chart.to_dict()) if draw else b""

    version, figures, sources, claims, contra = _load(version, root)
    src = {s["source_id"]: s for s in sources}
    claim_by_fig = {c["figure_id"]: c for c in claims}
    points = figure_points(figures, src, claim_by_fig)
    cpoints = claim_points(claims, figures, src)
    filters = _filters(alt, points + cpoints)
    out = []
    for g in config()["measure_groups"]:
        static, n = group_chart(alt, points, g, interactive=False)
        live, _ = group_chart(alt, points, g, interactive=True)
        live = live.add_params(*_unbound(alt))
        out.append(
            Chart(
                f"measure_{g['name']}",
                g["title"],
                f"Every figure with a number for {g['title'].lower()}: a point per figure (a range's midpoint, "
                "with a bar for the range), one row per treatment | source, coloured by population, "
                "shaped by how it is hedged. Hover over a point for the figure as printed and where.",
                _untitled(live.to_dict()),
                _png(static),
                {f"points_{g['name']}": n},
            )
        )
    static, n = claims_chart(alt, cpoints, interactive=False)
    live, _ = claims_chart(alt, cpoints, interactive=True)
    live = live.add_params(*_unbound(alt))
    out.append(
        Chart(
            "claims",
            "Article claims against the studies they cite",
            "Each credited percentage in an article (circle) beside the figure of the study it cites (square), "
            "coloured by verdict. A circle alone: the study has no such figure, or could not be read.",
            _untitled(live.to_dict()),
            _png(static),
            {"points_claims": n},
        )
    )
    static, n = contradictions_chart(alt, contra, interactive=False)
    live, _ = contradictions_chart(alt, contra, interactive=True)
    live = live.add_params(*_unbound(alt))
    out.append(
        Chart(
            "contradictions",
            "Contradictions within each source",
            "Groups of figures from one source with the same comparison key whose values disagree, by severity; possible: linked only through a field one side leaves unspecified, a lower class outside the count of contradictions.",
            _untitled(live.to_dict()),
            _png(static),
            {"bars_contradictions": n},
        )
    )
    cc = counts_chart(alt, figures, src)
    out.append(
        Chart(
            "counts",
            "What the release holds",
            "How many figures each source states, and about which measures.",
            cc.to_dict(),
            _png(cc),
            {},
        )
    )
    # the filters live on one top-level chart whose bindings are the page's drop-downs
    filter_spec = (
        alt.Chart(alt.Data(values=[{}])).mark_text().add_params(*filters).properties(width=1, height=1).to_dict()
    )
    return (
        version,
        out,
        {"figures": figures, "sources": sources, "claims": claims, "contradictions": contra, "filters": filter_spec},
    )


def render(version: str | None = None, root=None) -> tuple[str, list[Chart]]:
    """The report's HTML and its charts, for release ``version``."""
    from altair.utils._importers import vl_version_for_vl_convert

    from .croissant import schema_org_dataset

    version, chart_list, data = charts(version, root)
    figures, sources, claims, contra = data["figures"], data["sources"], data["claims"], data["contradictions"]
    lab_v, lab_r, lab_s, lab_m = labels("verdict"), labels("check_rule"), labels("severity"), labels("measure")
    kinds = [s["kind"] for s in sources]
    headline = set(schemas.comparison()["contradiction_rules"]["headline_severities"])
    n_headline = sum(1 for x in contra if x["severity"] in headline)
    stats = [
        ("figures", len(figures)),
        ("sources", len(sources)),
        ("web articles", kinds.count("web_article")),
        ("claims checked", len(claims)),
        ("contradictions", n_headline),
        ("possible (lower class)", len(contra) - n_headline),
    ]
    # one view: the filters and every chart, so that one set of drop-downs drives them all
    specs = {c.name: c.spec for c in chart_list}
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Ketamine vs SSRI evidence, release {html.escape(version)}</title>"
        "<script type='application/ld+json'>"
        + json.dumps(schema_org_dataset(version), ensure_ascii=False).replace("</", "<\\/")
        + "</script>"
        f"<style>{CSS}</style></head><body>",
        "<h1>Ketamine vs SSRI antidepressants: what the articles claim, and what their studies say</h1>",
        f"<p>Release <b>{html.escape(version)}</b>. Every point is a number that a web article or a cited study "
        "states, as printed, coded by measure, treatment, route, population and time-point. Hover over a point to "
        "read the figure as printed, its source, where it is printed, its population and time-point and, for a "
        "claim credited to a study, the study's own figure and the verdict. The drop-downs filter every chart.</p>",
        "<p>" + "".join(f"<span class='stat'><b>{n}</b>{html.escape(k)}</span>" for k, n in stats) + "</p>",
    ]
    if claims:
        counts: dict[str, int] = {}
        for c in claims:
            counts[c["verdict"]] = counts.get(c["verdict"], 0) + 1
        order = [v for v in lab_v if v in counts] + sorted(set(counts) - set(lab_v))
        parts.append(
            "<p>Verdicts on credited article figures: "
            + ", ".join(f"{html.escape(lab_v.get(v, v).lower())} {counts[v]}" for v in order)
            + ".</p>"
        )
        reviewed = [c for c in claims if c.get("reviewed_verdict")]
        if reviewed:
            parts.append(
                f"<p>{len(reviewed)} of them were also judged by a reviewer where no rule could decide; "
                "the table shows the computed verdict and the reviewed one side by side.</p>"
            )
    parts.append("<div id='filters'></div>")
    for c in chart_list:
        parts.append(
            f"<h2 id='{c.name}'>{html.escape(c.title)}</h2><div class='chart' id='chart-{c.name}'></div>"
            f"<p class='caption'>{html.escape(c.caption)}</p>"
        )
        if c.name == "claims" and claims:
            rows = [
                {
                    **cl,
                    "verdict": lab_v.get(cl["verdict"], cl["verdict"]),
                    "rule": lab_r.get(cl["rule"], cl["rule"]),
                    "reviewed_verdict": lab_v.get(cl.get("reviewed_verdict") or "", cl.get("reviewed_verdict") or ""),
                }
                for cl in claims
            ]
            columns = [
                ("figure_id", "article figure"),
                ("article_value_text", "article says"),
                ("attributed_to", "credited to"),
                ("study_value_text", "study states"),
                ("study_figure_id", "study figure"),
                ("verdict", "computed verdict"),
                ("rule", "rule"),
                ("claim_adds", "the claim adds"),
                ("key_differences", "differs in"),
                ("reviewed_verdict", "reviewed verdict"),
                ("review_reason", "review"),
                ("reason", "reason"),
            ]
            parts.append(_table_html("claims-table", rows, [(k, t) for k, t in columns if k in claims[0]]))
        if c.name == "contradictions" and contra:
            rows = [
                {
                    **x,
                    "severity": lab_s.get(x["severity"], x["severity"]),
                    "measure": lab_m.get(x["measure"], x["measure"]),
                }
                for x in contra
            ]
            columns = [
                ("source_id", "source"),
                ("measure", "measure"),
                ("severity", "severity"),
                ("figure_id_a", "figure"),
                ("value_text_a", "says"),
                ("locator_a", "where"),
                ("figure_id_b", "against figure"),
                ("value_text_b", "says"),
                ("locator_b", "where"),
                ("key", "about"),
                ("members", "every figure of the group"),
                ("unspecified_matches", "linked only through"),
                ("reason", "reason"),
            ]
            parts.append(_table_html("contradictions-table", rows, [(k, t) for k, t in columns if k in contra[0]]))
    parts.append(
        "<p class='caption'>Made by <code>python -m ketamine_ssri_evidence report</code> from the release files "
        "alone; it loads nothing from the network. Definitions of every field and code: DATA_DICTIONARY.md.</p>"
    )
    bundle = _bundle(vl_version_for_vl_convert())
    specs_json = json.dumps({"filters": data["filters"], **specs}, ensure_ascii=False, sort_keys=True).replace(
        "</", "<\\/"
    )
    embed = """
const SPECS = JSON.parse(document.getElementById('report-specs').textContent);
window.reportViews = {};
const opts = {actions: false, renderer: 'svg'};
window.reportReady = (async () => {
  const f = await vegaEmbed('#filters', SPECS.filters, opts);
  window.reportViews.filters = f.view;
  const names = Object.keys(SPECS).filter(n => n !== 'filters');
  for (const n of names) {
    const r = await vegaEmbed('#chart-' + n, SPECS[n], opts);
    window.reportViews[n] = r.view;
  }
  // the drop-downs of the first view drive every chart
  for (const p of ['pick_measure', 'pick_treatment', 'pick_population']) {
    f.view.addSignalListener(p, (_, value) => {
      for (const n of names) {
        const v = window.reportViews[n];
        if (n !== 'counts') v.signal(p, value).runAsync();
      }
    });
  }
  return names.length;
})();
"""
    parts.append(f"<script type='application/json' id='report-specs'>{specs_json}</script>")
    parts.append(f"<script>{bundle}</script><script>{embed}{TABLE_JS}</script></body></html>")
    return "".join(parts), chart_list


def write_report(out_dir, version: str | None = None, root=None) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page, chart_list = render(version, root)
    for c in chart_list:
        (out / f"{c.name}.png").write_bytes(c.png)
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
