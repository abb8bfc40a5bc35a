"""Reviewed verdicts: a reviewer's adjudication of a claim check, kept as data in raw/reviews.csv.

Where no rule can decide (an article's name for a study's whole sample read as a subgroup, a
cohort called a systematic review, SSRIs and SNRIs pooled, a trial that matches only in part),
a reviewer records a verdict and a reason against the computed verdict and rule of the time.
The review is shown beside the computed verdict in claim_checks (reviewed_verdict,
final_verdict) and never replaces it. A review whose computed verdict or rule has changed
since fails the build (``review-stale``), so reviews cannot rot.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from . import schemas
from .issues import Issue

REVIEWS_FILE = "reviews.csv"
COLUMNS = ("figure_id", "computed_verdict", "computed_rule", "reviewed_verdict", "reason", "reviewer", "date")


def apply_reviews(rows: list[dict], raw_dir=None, issues: list[Issue] | None = None) -> list[dict]:
    """claim_checks rows with the review columns filled from ``raw/reviews.csv`` (if it exists)."""
    from .validation.reading import read_csv

    issues = [] if issues is None else issues
    raw_dir = Path(raw_dir) if raw_dir is not None else schemas.ROOT / "raw"
    out = {
        r["figure_id"]: dict(r, reviewed_verdict=None, review_reason=None, reviewer=None, review_date=None)
        for r in rows
    }
    path = raw_dir / REVIEWS_FILE
    if path.is_file():
        local: list[Issue] = []
        raw = read_csv(path, REVIEWS_FILE, local)
        for name in raw.columns:
            if name not in COLUMNS:
                local.append(
                    Issue(REVIEWS_FILE, 1, name, name, "unknown-column", "reviews.csv does not know this column")
                )
        for name in COLUMNS:
            if raw.readable and name not in raw.columns:
                local.append(Issue(REVIEWS_FILE, 1, name, "", "missing-column", "reviews.csv needs this column"))
        issues.extend(local)
        if not local:
            _read(raw, out, issues)
    for r in out.values():
        r["final_verdict"] = r["reviewed_verdict"] or r["verdict"]
    return list(out.values())


def _read(raw, out: dict[str, dict], issues: list[Issue]) -> None:
    verdicts = schemas.vocabulary("verdict")
    rules = schemas.vocabulary("check_rule")
    seen: set[str] = set()
    for cells in raw.rows:
        get = lambda k: cells[k].value or ""  # noqa: E731
        line = cells["figure_id"].line
        fid = get("figure_id")

        def bad(fld, value, code, why):
            issues.append(Issue(REVIEWS_FILE, line, fld, value, code, why))

        problems = len(issues)
        for fld in COLUMNS:
            if not get(fld):
                bad(fld, "", "required", "a value is required")
        for fld in ("computed_verdict", "reviewed_verdict"):
            if get(fld) and get(fld) not in verdicts:
                bad(fld, get(fld), "unknown-code", "not a code of schemas/vocab/verdict.csv")
        if get("computed_rule") and get("computed_rule") not in rules:
            bad("computed_rule", get("computed_rule"), "unknown-code", "not a code of schemas/vocab/check_rule.csv")
        try:
            date = _dt.date.fromisoformat(get("date"))
        except ValueError:
            date = None
            if get("date"):
                bad("date", get("date"), "type", "not an ISO 8601 date (YYYY-MM-DD)")
        if fid and fid in seen:
            bad("figure_id", fid, "duplicate-id", "this figure is reviewed twice")
        seen.add(fid)
        if fid and fid not in out:
            bad("figure_id", fid, "review-unknown-figure", "no claim check has this figure_id")
        if len(issues) > problems:
            continue
        row = out[fid]
        if (row["verdict"], row["rule"]) != (get("computed_verdict"), get("computed_rule")):
            bad(
                "computed_verdict",
                f"{get('computed_verdict')} ({get('computed_rule')})",
                "review-stale",
                f"the review was made against {get('computed_verdict')} ({get('computed_rule')}); the build now computes "
                f"{row['verdict']} ({row['rule']}): review the claim again and update the row",
            )
            continue
        row.update(
            reviewed_verdict=get("reviewed_verdict"),
            review_reason=get("reason"),
            reviewer=get("reviewer"),
            review_date=date,
        )
