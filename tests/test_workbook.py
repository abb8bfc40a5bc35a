"""The release workbook: every cell as in the Parquet table, read back directly and after LibreOffice."""

from __future__ import annotations

import datetime as dt
import math
import shutil
import subprocess
import zipfile

import pytest

from conftest import ROOT
from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.releases import current_release
from ketamine_ssri_evidence.workbook import ABOUT_SHEET, file_name

RELEASE = ROOT / "build" / current_release()["version"]
TABLES = schemas.table_names()
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _expected(table):
    import pyarrow.parquet as pq

    return pq.read_table(RELEASE / f"{table}.parquet").to_pylist()


def _cell(v, kind):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if kind in ("number", "integer"):
        return float(v)
    if kind == "date":
        return v.date() if isinstance(v, dt.datetime) else v
    return v


def _sheet_rows(path, table):
    import openpyxl

    ws = openpyxl.load_workbook(path, read_only=True)[table]
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], rows[1:]


def _compare(path, table):
    fields = schemas.table(table).fields
    header, rows = _sheet_rows(path, table)
    assert list(header)[: len(fields)] == [f.name for f in fields]
    expected = _expected(table)
    assert len(rows) == len(expected)
    for i, (got, want) in enumerate(zip(rows, expected), start=2):
        got = list(got) + [None] * (len(fields) - len(got))
        for f, g in zip(fields, got):
            w = _cell(want[f.name], f.type)
            g = _cell(g, f.type)
            if f.type in ("string", "duration") and w is not None:
                assert isinstance(g, str), f"{table} row {i} {f.name}: {g!r} is not text"
            assert g == w, f"{table} row {i} {f.name}: {g!r} != {w!r}"


def test_the_release_ships_a_workbook_listed_with_its_hash():
    import hashlib
    import json

    data = (RELEASE / file_name()).read_bytes()
    desc = json.loads((RELEASE / "datapackage.json").read_text(encoding="utf-8"))
    res = next(r for r in desc["resources"] if r["path"] == file_name())
    assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest() and res["bytes"] == len(data)
    manifest = json.loads((ROOT / "build" / "versions.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["versions"] if e["version"] == RELEASE.name)
    assert f"{RELEASE.name}/{file_name()}" in {f["path"] for f in entry["files"]}
    # fixed dates: the zip members and the document properties
    with zipfile.ZipFile(RELEASE / file_name()) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert f"{current_release()['date']}T00:00:00Z" in core


@pytest.mark.parametrize("table", TABLES)
def test_every_cell_reads_back_as_in_parquet(table):
    _compare(RELEASE / file_name(), table)


def test_first_sheet_explains_the_release_and_every_code():
    import openpyxl

    wb = openpyxl.load_workbook(RELEASE / file_name(), read_only=True)
    assert wb.sheetnames == [ABOUT_SHEET, *TABLES]
    cells = {str(v) for row in wb[ABOUT_SHEET].iter_rows(values_only=True) for v in row if v is not None}
    assert RELEASE.name in cells and current_release()["date"] in cells
    assert any("CC-BY-4.0" in c for c in cells) and any(c.startswith("The ") and "version" in c for c in cells)
    for table in TABLES:
        for f in schemas.table(table).fields:
            assert f.name in cells
            if f.vocabulary:
                for code, row in schemas.vocabulary(f.vocabulary).items():
                    assert code in cells and row["label"] in cells, f"{f.vocabulary}:{code}"


@pytest.fixture(scope="module")
def libreoffice_copy(tmp_path_factory):
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install -y libreoffice-calc")
    tmp = tmp_path_factory.mktemp("lo")
    src = tmp / "in" / file_name()
    src.parent.mkdir()
    shutil.copy(RELEASE / file_name(), src)
    proc = subprocess.run(
        [
            SOFFICE,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp / "out"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = tmp / "out" / file_name()
    assert out.is_file(), proc.stdout + proc.stderr
    return out


@pytest.mark.slow  # LibreOffice: the slow tier
@pytest.mark.parametrize("table", TABLES)
def test_every_cell_survives_libreoffice(libreoffice_copy, table):
    """Opened and saved again by LibreOffice Calc, the workbook still holds the release's values."""
    _compare(libreoffice_copy, table)


def test_text_that_looks_like_a_number_a_date_or_a_formula_stays_text(tmp_path):
    """The spreadsheet never reinterprets a text field: it is written as a text cell."""
    import openpyxl

    from ketamine_ssri_evidence.workbook import workbook_bytes

    tricky = ["75%", "8,235", "14.0", "0012", "1e5", "2026-01-13", "=SUM(A1:A2)", "+1", "@x", "6–12 months", "TRUE"]
    tables: dict[str, list[dict]] = {t: [] for t in TABLES}
    fields = schemas.table("figures").fields
    for i, text in enumerate(tricky):
        rec: dict[str, object] = {f.name: None for f in fields}
        rec.update(
            figure_id=f"x/{i:03d}",
            source_id="x",
            locator="L",
            value_text=text,
            qualifier="exact",
            measure="remission_rate",
            treatment="ketamine",
            population="unspecified",
            value=1.5,
            timepoint_sessions=3,
        )
        tables["figures"].append(rec)
    path = tmp_path / "w.xlsx"
    path.write_bytes(workbook_bytes(current_release()["version"], tables))
    ws = openpyxl.load_workbook(path)["figures"]
    col = [f.name for f in fields].index("value_text") + 1
    cells = [ws.cell(row=i + 2, column=col) for i in range(len(tricky))]
    assert [c.value for c in cells] == tricky
    assert all(c.data_type == "s" for c in cells)
    assert ws.cell(row=2, column=[f.name for f in fields].index("value") + 1).value == 1.5
    assert ws.cell(row=2, column=[f.name for f in fields].index("timepoint_sessions") + 1).value == 3


def test_a_text_longer_than_a_cell_is_cut_and_says_where_the_whole_text_is(tmp_path):
    """A spreadsheet cell holds 32,767 characters; a longer text (a large group's members) is cut
    with a note, never an error that stops the build."""
    import openpyxl

    from ketamine_ssri_evidence.workbook import MAX_CELL, workbook_bytes

    tables: dict[str, list[dict[str, object]]] = {t: [] for t in TABLES}
    rec: dict[str, object] = {f.name: None for f in schemas.table("figures").fields}
    long = "x/001, " * 6000  # 42,000 characters
    rec.update(
        figure_id="x/001",
        source_id="x",
        locator="L",
        value_text="1",
        qualifier="exact",
        measure="remission_rate",
        treatment="ketamine",
        population="unspecified",
        value=1.0,
        note=long,
    )
    tables["figures"].append(rec)
    path = tmp_path / "w.xlsx"
    path.write_bytes(workbook_bytes(current_release()["version"], tables))
    ws = openpyxl.load_workbook(path)["figures"]
    cell = ws.cell(row=2, column=[f.name for f in schemas.table("figures").fields].index("note") + 1).value
    assert len(cell) <= MAX_CELL
    assert long.startswith(cell[: cell.index(" … [cut: ")])
    assert cell.endswith(f"of {len(long):,} characters; figures.csv and figures.parquet hold the whole text]")


def test_a_table_too_large_for_the_workbook_is_named_not_written(tmp_path, monkeypatch):
    """Above MAX_SHEET_ROWS a table's sheet holds its header and where its rows are; the others are whole."""
    import openpyxl

    from ketamine_ssri_evidence import workbook

    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 2)
    fields = schemas.table("figures").fields
    tables: dict[str, list[dict[str, object]]] = {t: [] for t in TABLES}
    for i in range(3):
        rec: dict[str, object] = {f.name: None for f in fields}
        rec.update(
            figure_id=f"x/{i:03d}",
            source_id="x",
            locator="L",
            value_text="1",
            qualifier="exact",
            measure="remission_rate",
            treatment="ketamine",
            population="unspecified",
            value=1.0,
        )
        tables["figures"].append(rec)
    tables["sources"] = [{f.name: None for f in schemas.table("sources").fields} | {"source_id": "x"}]
    path = tmp_path / "w.xlsx"
    path.write_bytes(workbook.workbook_bytes(current_release()["version"], tables))
    wb = openpyxl.load_workbook(path)
    ws = wb["figures"]
    assert [c.value for c in ws[1]] == [f.name for f in fields]
    assert ws.max_row == 2 and "3 rows" in ws.cell(row=2, column=1).value
    assert "figures.csv" in ws.cell(row=2, column=1).value
    assert wb["sources"].cell(row=2, column=1).value == "x"
    about = [c.value for row in wb[workbook.ABOUT_SHEET].iter_rows() for c in row if c.value]
    assert any(str(v).startswith("The table figures has 3 rows") for v in about)
