"""The release as one spreadsheet workbook (``<name>.xlsx``), for readers who open data in a spreadsheet.

The first sheet explains the release (title, version, date, licence, how to cite and read it)
and lists every field and every code with its label, all from ``schemas/``. Then one sheet per
table, in the release's column order. Text columns are written as text cells, so every
``value_text`` stays as printed ("75%", "8,235", "14.0", "6–12 months") whatever the
spreadsheet's guessing; numbers are numbers, dates are dates, a missing value is an empty cell.

Deterministic: the workbook's creation date is the release date and the zip members carry
fixed timestamps, so the same release gives the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io

from . import schemas
from .field_types import field_type
from .releases import package_metadata

MEDIATYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ABOUT_SHEET = "About"
# Excel's limit for a text cell; no published field comes near it (the longest are notes).
MAX_CELL = 32767  # characters a spreadsheet cell holds
CUT = " … [cut: the cell holds {shown:,} of {total:,} characters; {table}.csv and {table}.parquet hold the whole text]"


def _fitted(s: str, table: str) -> str:
    """``s``, or its beginning and a note saying where the whole text is, when a cell cannot hold it."""
    if len(s) <= MAX_CELL:
        return s
    note = CUT.format(shown=0, total=len(s), table=table)
    shown = MAX_CELL - len(note) - 8  # room for the digits of ``shown``
    return s[:shown] + CUT.format(shown=shown, total=len(s), table=table)


# The most rows of a table the workbook holds. A spreadsheet holds 1,048,575 rows under a
# header, but a table of tens of thousands of rows is read with a data tool, not by scrolling,
# and writing every cell of it would cost the build more than all its other files: a larger
# table's sheet holds its header and a line that says how many rows it has and where they are.
MAX_SHEET_ROWS = 10_000


def file_name() -> str:
    return f"{package_metadata()['name']}.xlsx"


def citation_text(version: str, date: str) -> str:
    """How to cite the release, in one line (from schemas/package.json)."""
    meta = package_metadata()
    who = ", ".join(c["title"] for c in meta.get("contributors", [])) or "The contributors"
    text = f"{who} ({date[:4]}). {meta['title']} (version {version}) [data set]."
    if meta.get("homepage"):
        text += f" {meta['homepage']}"
    return text


def _release_date(version: str) -> str:
    for r in package_metadata()["releases"]:
        if r["version"] == version:
            return r["date"]
    return package_metadata()["releases"][-1]["date"]


def _left_out(name: str, rows: int) -> str:
    return (
        f"The table {name} has {rows:,} rows, more than this workbook holds ({MAX_SHEET_ROWS:,} at most per "
        f"table): read {name}.csv or {name}.parquet, which ship beside it."
    )


def about_rows(version: str, left_out: dict[str, int] | None = None) -> list[tuple[str, list[list[str]]]]:
    """The first sheet's sections: ``(heading, rows)``; the first row of a table section is its header.

    ``left_out``: the tables whose rows the workbook does not hold, with their row counts."""
    meta = package_metadata()
    date = _release_date(version)
    tables = schemas.table_names()
    licence = "; ".join(
        f"{lic['name']}: {lic.get('title', '')} {lic.get('path', '')}".strip() for lic in meta.get("licenses", [])
    )
    release = [
        ["Title", meta["title"]],
        ["Version", version],
        ["Released", date],
        ["Licence", licence],
        ["How to cite", citation_text(version, date)],
        ["Description", meta["description"]],
    ]
    if meta.get("homepage"):
        release.append(["Home page", meta["homepage"]])
    reading = [
        [
            "Sheets",
            "This sheet, then one sheet per table: " + ", ".join(tables) + ". Row 1 of a table sheet "
            "holds the field names; every following row is one record.",
        ],
        [
            "Text",
            "Text fields are stored as text: a value such as 75%, 8,235, 14.0 or 6–12 months is exactly as "
            "the source prints it, and is not a number. Sort and filter them as text.",
        ],
        [
            "Numbers",
            "Number fields (value, low, high, n, ...) are numbers, in the unit of their row (field unit); "
            "fields ending in _canonical and _days are in the dimension's canonical unit.",
        ],
        [
            "Dates and durations",
            "Dates are dates (yyyy-mm-dd). Time-points such as P6M or P2W are ISO 8601 "
            "durations, kept as text; timepoint_days gives them in days.",
        ],
        ["Empty cells", "An empty cell is a missing value: the source does not say, or the field does not apply."],
        [
            "Codes",
            "Coded fields hold a code from a vocabulary; the table 'Codes' below gives each code's label "
            "and definition.",
        ],
        [
            "Other formats",
            "The same tables ship as CSV (UTF-8) and Parquet beside this workbook; datapackage.json describes them.",
        ],
    ]
    for name in tables:
        reading.append([f"Table {name}", schemas.table(name).description])
    for name, rows in (left_out or {}).items():
        reading.append([f"Not here: {name}", _left_out(name, rows)])
    fields = [["table", "field", "title", "type", "codes from", "description"]]
    for name in tables:
        for f in schemas.table(name).fields:
            fields.append(
                [
                    name,
                    f.name,
                    f.title,
                    f.type,
                    f.vocabulary or "",
                    f.description + (" (Derived by the build.)" if f.derived else ""),
                ]
            )
    used = []
    for name in tables:
        for f in schemas.table(name).fields:
            if f.vocabulary and f.vocabulary not in used:
                used.append(f.vocabulary)
    codes = [["vocabulary", "code", "label", "definition"]]
    for v in used:
        for code, row in schemas.vocabulary(v).items():
            codes.append([v, code, row.get("label", ""), row.get("definition", "")])
    return [("Release", release), ("How to read this workbook", reading), ("Fields", fields), ("Codes", codes)]


def _width(values, lo=8, hi=60) -> float:
    longest = max((len(str(v)) for v in values if v is not None), default=0)
    return float(min(max(longest + 2, lo), hi))


def _values(records, name: str) -> list:
    """One column of a table given as records (dicts) or as an Arrow table."""
    if isinstance(records, list):
        return [rec.get(name) for rec in records]
    return records.column(name).to_pylist()


def workbook_bytes(version: str, tables: dict[str, list[dict]]) -> bytes:
    """The workbook of release ``version``; ``tables`` maps each table name to its records."""
    import xlsxwriter

    meta = package_metadata()
    date = _dt.datetime.fromisoformat(_release_date(version))
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buf,
        {
            "in_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "nan_inf_to_errors": False,
        },
    )
    wb.set_properties(
        {
            "title": f"{meta['title']}, release {version}",
            "subject": meta["description"][:250],
            "author": ", ".join(c["title"] for c in meta.get("contributors", [])),
            "keywords": ", ".join(meta.get("keywords", [])),
            "created": date,
            "comments": f"Release {version} of {meta['name']}.",
        }
    )
    bold = wb.add_format({"bold": True})
    heading = wb.add_format({"bold": True, "font_size": 13})
    title = wb.add_format({"bold": True, "font_size": 15})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    text = wb.add_format({"num_format": "@"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})

    about = wb.add_worksheet(ABOUT_SHEET)
    about.set_column(0, 0, 24)
    about.set_column(1, 1, 28)
    about.set_column(2, 3, 30)
    about.set_column(4, 4, 18)
    about.set_column(5, 5, 90)
    about.write_string(0, 0, f"{meta['title']}, release {version}", title)
    r = 2
    left_out = {name: len(tables[name]) for name in schemas.table_names() if len(tables[name]) > MAX_SHEET_ROWS}
    for head, rows in about_rows(version, left_out):
        about.write_string(r, 0, head, heading)
        r += 1
        is_table = head in ("Fields", "Codes")
        for i, row in enumerate(rows):
            if not is_table:  # a label, and its text across the sheet's width
                about.write_string(r, 0, row[0], bold)
                about.merge_range(r, 1, r, 5, row[1], wrap)
                about.set_row(r, 15 * (1 + len(row[1]) // 170))
            else:
                for c, v in enumerate(row):
                    about.write_string(r, c, v, bold if i == 0 else wrap)
            r += 1
        r += 1

    for name in schemas.table_names():
        t = schemas.table(name)
        ws = wb.add_worksheet(name)
        records = tables[name]
        if name in left_out:
            for c, f in enumerate(t.fields):
                ws.write_string(0, c, f.name, bold)
            ws.write_string(1, 0, _left_out(name, left_out[name]))
            ws.freeze_panes(1, 0)
            continue
        for c, f in enumerate(t.fields):
            ws.write_string(0, c, f.name, bold)
            values = _values(records, f.name)
            cell = field_type(f.type).cell
            if cell == "text":
                ws.set_column(c, c, _width([f.name] + values), text)
            elif cell == "date":
                ws.set_column(c, c, 12, day)
            else:
                ws.set_column(c, c, _width([f.name] + values, hi=20))
            for i, v in enumerate(values, start=1):
                if v is None:
                    continue
                if cell == "number":
                    ws.write_number(i, c, v)
                elif cell == "date":
                    ws.write_datetime(
                        i,
                        c,
                        _dt.datetime.combine(v, _dt.time())
                        if isinstance(v, _dt.date)
                        else _dt.datetime.fromisoformat(str(v)),
                        day,
                    )
                elif cell == "boolean":
                    ws.write_boolean(i, c, bool(v))
                else:
                    ws.write_string(i, c, _fitted(str(v), name), text)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(records), 1), len(t.fields) - 1)
    wb.close()
    return buf.getvalue()
