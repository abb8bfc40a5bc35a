"""A self-contained HTML report with matplotlib charts of a release.

    python -m ketamine_ssri_evidence report [--version V] [--out DIR]

Writes ``DIR/index.html`` (every image embedded, no external resource: it opens offline)
and each chart as ``DIR/<name>.png``. Needs matplotlib (``pip install -e '.[report]'``).
"""
from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from pathlib import Path

KEY_MEASURES = [
    ("remission_rate", "Remission rates", "%"),
    ("response_rate", "Response rates", "%"),
    ("onset_time", "Time to onset of improvement", "days (log scale)"),
    ("adherence", "Completion, persistence, maintenance and discontinuation", "%"),
    ("cost", "Costs", "US dollars (log scale)"),
]
ADHERENCE = ("completion_rate", "persistence_rate", "maintenance_rate", "discontinuation_rate")
COSTS = ("cost_per_session", "cost_per_course", "cost_per_month", "copay_per_month")
POP_COLOURS = {
    "trd": "#c0392b", "mdd": "#2471a3", "mdd_mild_moderate": "#5dade2", "bipolar_depression": "#8e44ad",
    "suicidal_ideation": "#d35400", "ptsd": "#16a085", "anxiety": "#7f8c8d", "unspecified": "#95a5a6",
}
VERDICT_COLOURS = {"consistent": "#1e8449", "inconsistent": "#c0392b", "not_reported": "#b7950b",
                   "not_comparable": "#7d3c98", "unverifiable": "#95a5a6"}
SEVERITY_COLOURS = {"conflict": "#c0392b", "tension": "#e67e22"}
MARKERS = {"exact": "o", "approx": "D", "up_to": "<", "at_least": ">", "at_most": "<",
           "range": "|", "approx_range": "|"}


@dataclass
class Chart:
    name: str
    title: str
    caption: str
    png: bytes


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 10, "axes.titlesize": 12, "axes.labelsize": 10, "legend.fontsize": 9,
                         "figure.dpi": 100, "savefig.dpi": 100, "svg.hashsalt": "ketamine"})
    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return buf.getvalue()


def _short(source_id: str) -> str:
    return source_id if len(source_id) <= 28 else source_id[:26] + "…"


def _empty(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=11, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])


def _figure_bounds(df):
    """Low and high ends to draw, in canonical units (None for qualitative rows)."""
    lo = df["low_canonical"].fillna(df["value_canonical"])
    hi = df["high_canonical"].fillna(df["value_canonical"])
    return lo.astype("float64"), hi.astype("float64")


def chart_measure(figures, sources, key, title, unit_label) -> Chart:
    plt = _plt()
    if key == "adherence":
        df = figures[figures["measure"].isin(ADHERENCE)]
    elif key == "cost":
        df = figures[figures["measure"].isin(COSTS)]
    else:
        df = figures[figures["measure"] == key]
    df = df[df["qualifier"] != "qualitative"].copy()
    if key == "adherence":
        df["group"] = df["measure"].astype(str).str.replace("_rate", "") + " · " + df["treatment"].astype(str)
    elif key == "cost":
        df["group"] = df["measure"].astype(str).str.replace("cost_per_", "per ").str.replace("copay_per_", "copay per ") + " · " + df["treatment"].astype(str)
    else:
        df["group"] = df["treatment"].astype(str)
    df["row"] = df["group"] + "  |  " + df["source_id"].astype(str).map(lambda s: _short(s))
    rows = sorted(df["row"].unique(), key=lambda r: (r.split("  |  ")[0], r))
    per_row = df.groupby("row").size() if len(df) else None
    height = max(2.8, sum(min(0.25 + 0.12 * n, 0.9) for n in per_row) + 1.6) if per_row is not None else 2.8
    fig, ax = plt.subplots(figsize=(10, height))
    if not rows:
        _empty(ax, "no figure for this measure in this release")
    else:
        lo, hi = _figure_bounds(df)
        df["lo"], df["hi"] = lo, hi
        ymap = {r: i for i, r in enumerate(rows)}
        # a figure restated word for word is drawn once, with its count
        df["v"] = df["value_canonical"].astype("float64")
        distinct = (df.groupby(["row", "qualifier", "population", "lo", "hi", "v"], observed=True, dropna=False)
                    .size().reset_index(name="times"))
        for row, grp in distinct.groupby("row", sort=False):
            k = len(grp)
            offsets = [0.0] if k == 1 else [-0.32 + 0.64 * i / (k - 1) for i in range(k)]
            for off, (_, f) in zip(offsets, grp.sort_values(["lo", "hi"]).iterrows()):
                y = ymap[row] + off
                colour = POP_COLOURS.get(str(f["population"]), "#333")
                q = str(f["qualifier"])
                if q in ("range", "approx_range"):
                    ax.plot([f["lo"], f["hi"]], [y, y], color=colour, lw=4, alpha=0.8, solid_capstyle="butt")
                    end = f["hi"]
                else:
                    v = f["v"]
                    if q in ("up_to", "at_most"):
                        ax.plot([v / 3 if "log" in unit_label else 0, v], [y, y], color=colour, lw=1.2, alpha=0.5, ls="--")
                    elif q == "at_least":
                        ax.annotate("", xy=(v * 1.25 if "log" in unit_label else v + 8, y), xytext=(v, y),
                                    arrowprops=dict(arrowstyle="->", color=colour, lw=1.2))
                    ax.plot([v], [y], marker=MARKERS.get(q, "o"), color=colour, ms=7, mec="white", mew=0.6)
                    end = v
                if f["times"] > 1:
                    ax.annotate(f"×{f['times']}", (end, y), xytext=(5, -3), textcoords="offset points",
                                fontsize=7.5, color="#444")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(rows)
        ax.invert_yaxis()
        if "log" in unit_label:
            ax.set_xscale("log")
        elif "%" in unit_label:
            ax.set_xlim(0, 100)
        ax.grid(axis="x", color="#ddd")
        from matplotlib.lines import Line2D

        pops = [p for p in POP_COLOURS if p in set(df["population"].astype(str))]
        handles = [Line2D([], [], color=POP_COLOURS[p], lw=4, label=p) for p in pops]
        handles += [Line2D([], [], color="#333", marker=m, ls="", label=l) for m, l in
                    (("o", "stated value"), ("D", "about"), ("<", "up to / at most"), (">", "at least"))]
        handles.append(Line2D([], [], color="#333", lw=4, label="range"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title="population / form")
    ax.set_title(title)
    ax.set_xlabel(unit_label)
    ax.set_ylabel("treatment  |  source")
    caption = (f"Every numeric figure for {title.lower()} in the release, one row per treatment and source; a bar "
               "is a range, a dashed line an 'up to' ceiling, an arrow an 'at least'. Colour is the population the "
               "figure is about; ×n marks a figure the source states n times.")
    return Chart(f"measure_{key}", title, caption, _png(fig))


def _mid(f) -> float:
    """A figure's value, or its range's midpoint, in canonical units."""
    import pandas as pd

    if not pd.isna(f["value_canonical"]):
        return float(f["value_canonical"])
    return (float(f["low_canonical"]) + float(f["high_canonical"])) / 2


def chart_claims(claims, figures) -> Chart:
    plt = _plt()
    fig_by_id = figures.set_index("figure_id")
    rows = []
    for _, c in claims.iterrows():
        a = fig_by_id.loc[c["figure_id"]]
        s = fig_by_id.loc[c["study_figure_id"]] if isinstance(c["study_figure_id"], str) else None
        if str(a["dimension"]) != "proportion":
            continue
        rows.append((c, a, s))
    height = max(3.0, 0.38 * len(rows) + 1.8)
    fig, ax = plt.subplots(figsize=(10, height))
    if not rows:
        _empty(ax, "no article figure in this release credits a study with a percentage")
    else:
        labels = []
        for i, (c, a, s) in enumerate(rows):
            colour = VERDICT_COLOURS[str(c["verdict"])]
            av = _mid(a)
            ax.plot([av], [i], marker="o", color=colour, ms=8)
            if s is not None:
                sv = _mid(s)
                ax.plot([sv], [i], marker="s", color="white", mec=colour, mew=1.8, ms=8)
                ax.plot([av, sv], [i, i], color=colour, lw=1, alpha=0.6)
            labels.append(f"{a['value_text']}  ({str(a['measure']).replace('_', ' ')}) → {c['attributed_to'][:30]}")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels(labels, fontsize=8.5)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.grid(axis="x", color="#ddd")
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=col, marker="o", ls="", label=v) for v, col in VERDICT_COLOURS.items()
                   if v in set(claims["verdict"].astype(str))]
        handles += [Line2D([], [], color="#333", marker="o", ls="", label="article says"),
                    Line2D([], [], color="#333", marker="s", mfc="white", ls="", label="study states")]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, title="verdict")
    ax.set_title("Article claims against the studies they cite")
    ax.set_xlabel("%")
    caption = ("Each credited percentage in an article (filled dot) beside the closest figure of the study it "
               "cites (open square), coloured by verdict. A dot with no square: the study has no such figure, or "
               "it could not be resolved or read.")
    return Chart("claims", "Article claims against the studies they cite", caption, _png(fig))


def chart_contradictions(contradictions, sources) -> Chart:
    plt = _plt()
    if len(contradictions):
        tab = contradictions.groupby(["source_id", "measure", "severity"], observed=True).size().unstack(fill_value=0)
        tab = tab[[c for c in ("conflict", "tension") if c in tab.columns]]
    else:
        tab = None
    n = 0 if tab is None else len(tab)
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.36 * n + 1.6)))
    if not n:
        _empty(ax, "no contradiction within any source of this release")
    else:
        labels = [f"{_short(s)}  |  {str(m).replace('_', ' ')}" for s, m in tab.index]
        left = [0] * n
        for sev in tab.columns:
            ax.barh(range(n), tab[sev].tolist(), left=left, color=SEVERITY_COLOURS[sev], label=sev)
            left = [a + b for a, b in zip(left, tab[sev].tolist())]
        ax.set_yticks(range(n))
        ax.set_yticklabels(labels, fontsize=8.5)
        ax.invert_yaxis()
        ax.grid(axis="x", color="#ddd")
        ax.legend(loc="lower right", title="severity")
    ax.set_title("Contradictions within each source")
    ax.set_xlabel("pairs of figures that disagree (count)")
    caption = ("Pairs of figures from one source with the same comparison key whose values disagree: a conflict "
               "when both cannot be true, a tension when they agree only through 'up to'/'about' or an unspecified field.")
    return Chart("contradictions", "Contradictions within each source", caption, _png(fig))


def chart_counts(figures, sources) -> Chart:
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(14, 5.2), gridspec_kw={"width_ratios": [1.2, 1.4, 1]})
    per_source = figures.groupby("source_id", observed=True).size().sort_values()
    top = per_source.tail(15)
    axes[0].barh([_short(s) for s in top.index], top.values, color="#2471a3")
    axes[0].set_title(f"Figures per source (top {len(top)})")
    axes[0].set_xlabel("figures (count)")
    per_measure = figures.groupby("measure", observed=True).size().sort_values().tail(15)
    axes[1].barh([str(m).replace("_", " ") for m in per_measure.index], per_measure.values, color="#7d3c98")
    axes[1].set_title("Figures per measure (top 15)")
    axes[1].set_xlabel("figures (count)")
    kinds = sources.set_index("source_id")["kind"].astype(str)
    qual = figures.assign(kind=figures["source_id"].map(kinds),
                          qualitative=figures["qualifier"].astype(str) == "qualitative")
    share = qual.groupby("kind")["qualitative"].mean().mul(100).sort_values()
    axes[2].barh(list(share.index), share.values, color="#b7950b")
    axes[2].set_xlim(0, 100)
    axes[2].set_title("Share of figures with no number")
    axes[2].set_xlabel("qualitative figures (% of the kind's figures)")
    for ax in axes:
        ax.grid(axis="x", color="#ddd")
        ax.tick_params(axis="y", labelsize=8.5)
    fig.tight_layout()
    caption = ("How many figures each source states, which measures they are about, and what share states "
               "no number at all ('hours to days', 'most patients'), by kind of source.")
    return Chart("counts", "What the release holds", caption, _png(fig))


def _table_html(df, columns) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None or v != v else str(v))}</td>" for v in r) + "</tr>"
                   for r in df[columns].itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}img{max-width:100%;height:auto;border:1px solid #eee}
table{border-collapse:collapse;font-size:.85em;margin:1em 0}td,th{border:1px solid #ddd;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f4f4f4}.caption{color:#555;font-size:.9em}.stat{display:inline-block;margin:0 1.5em .5em 0}.stat b{font-size:1.4em;display:block}"""


def render(version: str | None = None, root=None) -> tuple[str, list[Chart]]:
    """The report's HTML and its charts, for release ``version``."""
    from . import loading

    version = version or loading.current_version(root)
    names = loading.tables(version, root)
    figures = loading.load("figures", version, root)
    sources = loading.load("sources", version, root)
    for col in ("figure_id", "source_id", "value_text", "attributed_to"):
        figures[col] = figures[col].astype(object)
    claims = loading.load("claim_checks", version, root) if "claim_checks" in names else None
    contra = loading.load("contradictions", version, root) if "contradictions" in names else None
    import pandas as pd

    if claims is None:
        claims = pd.DataFrame(columns=["figure_id", "study_figure_id", "verdict", "attributed_to", "rule", "reason",
                                       "article_value_text", "study_value_text"])
    if contra is None:
        contra = pd.DataFrame(columns=["source_id", "measure", "severity", "figure_id_a", "figure_id_b",
                                       "value_text_a", "value_text_b", "reason"])
    claims = claims.astype(object).where(claims.notna(), None)
    charts = [chart_measure(figures, sources, k, t, u) for k, t, u in KEY_MEASURES]
    charts += [chart_claims(claims, figures), chart_contradictions(contra, sources), chart_counts(figures, sources)]

    kinds = sources["kind"].astype(str).value_counts()
    stats = [("figures", len(figures)), ("sources", len(sources)),
             ("web articles", int(kinds.get("web_article", 0))), ("claims checked", len(claims)),
             ("contradiction pairs", len(contra))]
    verdicts = claims["verdict"].astype(str).value_counts() if len(claims) else {}
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Ketamine vs SSRI evidence, release "
             f"{html.escape(version)}</title><style>{CSS}</style></head><body>",
             "<h1>Ketamine vs SSRI antidepressants: what the articles claim, and what their studies say</h1>",
             f"<p>Release <b>{html.escape(version)}</b>. Every figure here is a number that a web article or a cited "
             "study states, as printed, coded by measure, treatment, route, population and time-point. The charts "
             "put side by side what marketing pages quote (\"up to 72% remission\") and what else is said about the "
             "same measure, in which population, and what the cited studies themselves report.</p>",
             "<p>" + "".join(f"<span class='stat'><b>{n}</b>{html.escape(k)}</span>" for k, n in stats) + "</p>"]
    if len(claims):
        parts.append("<p>Verdicts on credited article figures: " + ", ".join(
            f"{html.escape(v)} {n}" for v, n in verdicts.items()) + ".</p>")
    for c in charts:
        b64 = base64.b64encode(c.png).decode("ascii")
        parts.append(f"<h2 id='{c.name}'>{html.escape(c.title)}</h2><img alt='{html.escape(c.title)}' "
                     f"src='data:image/png;base64,{b64}'><p class='caption'>{html.escape(c.caption)}</p>")
        if c.name == "claims" and len(claims):
            bad = claims[claims["verdict"].isin(["inconsistent", "not_reported"])]
            if len(bad):
                parts.append("<p>Claims the cited study does not bear out:</p>" + _table_html(
                    bad, ["figure_id", "article_value_text", "attributed_to", "study_value_text", "verdict", "rule", "reason"]))
        if c.name == "contradictions" and len(contra):
            conf = contra[contra["severity"].astype(str) == "conflict"].head(40)
            if len(conf):
                parts.append("<p>Conflicts (first 40):</p>" + _table_html(
                    conf, ["figure_id_a", "value_text_a", "figure_id_b", "value_text_b", "measure", "reason"]))
    parts.append("<p class='caption'>Made by <code>python -m ketamine_ssri_evidence report</code> from the release files alone. "
                 "Definitions of every field and code: DATA_DICTIONARY.md.</p></body></html>")
    return "".join(parts), charts


def write_report(out_dir, version: str | None = None, root=None) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    page, charts = render(version, root)
    for c in charts:
        (out / f"{c.name}.png").write_bytes(c.png)
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
