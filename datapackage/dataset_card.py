"""The release's dataset card (``README.md`` in the release folder).

Its YAML front matter is what dataset hubs and the Hugging Face ``datasets`` library read: the
licence, and one ``configs`` entry per table naming its Parquet file, so that
``load_dataset("<release folder>", "<table>")`` loads that table alone (the tables have
different columns and cannot share one configuration). The text below says what the release
is, what each table holds, how to load it and how to cite it. All from ``schemas/``.
"""

from __future__ import annotations

import json

from . import schemas
from .releases import package_metadata

DEFAULT_TABLE = "figures"


def _release_date(version: str) -> str:
    meta = package_metadata()
    return next((r["date"] for r in meta["releases"] if r["version"] == version), meta["releases"][-1]["date"])


def _yaml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def dataset_card(version: str, tables: dict[str, list[dict]] | None = None) -> str:
    """The text of ``README.md`` for release ``version``; ``tables`` (records) gives row counts."""
    from .workbook import citation_text, file_name

    meta = package_metadata()
    date = _release_date(version)
    names = schemas.table_names()
    default = DEFAULT_TABLE if DEFAULT_TABLE in names else names[0]
    licence = next((lic for lic in meta.get("licenses", []) if lic["name"].startswith("CC")), None)
    front = ["---"]
    if licence:
        front.append(f"license: {licence['name'].lower()}")
    front += ["language:", "- en", f"pretty_name: {_yaml(meta['title'])}", "tags:"]
    front += [f"- {_yaml(k)}" for k in meta.get("keywords", [])]
    front.append("configs:")
    for name in names:
        front += [f"- config_name: {name}", f"  data_files: {name}.parquet"]
        if name == default:
            front.append("  default: true")
    front.append("---")
    body = [
        f"# {meta['title']}",
        "",
        f"Release **{version}** ({date}). {meta['description']}",
        "",
        "## Tables",
        "",
        "| table | rows | what a row is |",
        "|---|---:|---|",
    ]
    for name in names:
        rows = len(tables[name]) if tables and name in tables else ""
        body.append(f"| `{name}` | {rows} | {schemas.table(name).description.replace('|', chr(92) + '|')} |")
    body += [
        "",
        "Each table is here as Parquet (`<table>.parquet`) and CSV (`<table>.csv`, UTF-8), and all of "
        f"them as sheets of the workbook `{file_name()}`, whose first sheet explains every field and code. "
        "`datapackage.json` (Data Package v2) and `croissant.json` (Croissant 1.0) describe the files, "
        "fields, codes and checksums.",
        "",
        "## Load",
        "",
        "```python",
        "from datasets import load_dataset",
        "",
        f'figures = load_dataset("<this folder>", "{default}", split="train")',
        "```",
        "",
        "```python",
        "import pandas as pd",
        "",
        f'figures = pd.read_parquet("{default}.parquet")',
        "```",
        "",
        "In a spreadsheet, open the workbook rather than a CSV: a spreadsheet's CSV import guesses types and "
        "turns text such as 75% or 8,235 into numbers.",
        "",
        "## Cite",
        "",
        citation_text(version, date),
        "",
    ]
    if licence:
        body += ["## Licence", "", f"{licence.get('title', licence['name'])}: {licence.get('path', '')}", ""]
    return "\n".join(front + body)
