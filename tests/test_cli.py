"""The command line: exit statuses, formats, and plain messages for bad input.

Most cases call ``cli.main`` in this process (see ``conftest.cli``); a few smoke tests start
the real command, to show that it starts, exits with its status and prints no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, cli


def run(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "ketamine_ssri_evidence", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


# ---------------------------------------------------------------- smoke tests: the real command


@pytest.mark.parametrize(
    "args,code,first",
    [
        (("validate", "--raw", str(FIXTURES / "valid" / "raw")), 0, "0 problems"),
        (
            ("validate", "--raw", str(FIXTURES / "invalid" / "unknown-code" / "raw")),
            1,
            "raw/demo/figures.csv:2: measure: remision_rate: not a code of the measure vocabulary",
        ),
        (("validate", "raw/" + "x" * 5000), 2, ""),
    ],
    ids=["clean", "problems", "usage-error"],
)
def test_the_command_runs(args, code, first):
    proc = run(*args)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and "internal error" not in proc.stderr
    assert proc.stdout.startswith(first)


# ---------------------------------------------------------------- in process


def test_validate_clean_exits_0():
    r = cli("validate")
    assert (r.code, r.out, r.err) == (0, "0 problems\n", "")


def test_validate_given_folder():
    r = cli("validate", "--raw", str(FIXTURES / "valid" / "raw"), str(FIXTURES / "valid" / "raw" / "demo"))
    assert (r.code, r.out) == (0, "0 problems\n")


def test_validate_errors_exit_1_with_count_line():
    case = FIXTURES / "invalid" / "formula-injection"
    r = cli("validate", "--raw", str(case / "raw"))
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[-1] == "4 problems: formula-injection 4"
    assert lines[0] == (
        'raw/demo/figures.csv:2: note: =HYPERLINK("http://evil"): text must not start with =, +, - '
        "or @ (spreadsheets run it as a formula); rephrase or start with another character "
        "[formula-injection]"
    )
    assert lines[:-1] == sorted(lines[:-1])


def test_json_format():
    case = FIXTURES / "invalid" / "value-order"
    r = cli("validate", "--raw", str(case / "raw"), "--format", "json")
    data = json.loads(r.out)
    assert r.code == 1 and data["count"] == 2
    assert data["by_code"] == {"text-mismatch": 1, "value-order": 1}
    assert data["problems"] == [
        {
            "path": "raw/demo/figures.csv",
            "line": 3,
            "field": "low",
            "value": "6",
            "code": "value-order",
            "reason": "low 6 is greater than high 2",
        },
        {
            "path": "raw/demo/figures.csv",
            "line": 3,
            "field": "value_text",
            "value": "2–6 weeks",
            "code": "text-mismatch",
            "reason": "value_text says 2, 6 but the numbers are 6, 2",
        },
    ]


def test_github_format():
    case = FIXTURES / "invalid" / "unknown-code"
    r = cli("validate", "--raw", str(case / "raw"), "--format", "github")
    assert r.out.splitlines() == [
        "::error file=raw/demo/figures.csv,line=2,title=unknown-code::measure: not a code of the measure vocabulary "
        "(schemas/vocab/measure.csv)",
        "1 problem: unknown-code 1",
    ]


def test_missing_path_is_a_usage_error(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = cli("validate", "raw/no-such-source")
    assert r.code == 2 and r.out == ""
    assert r.err.startswith("error: raw/no-such-source is not a source folder (no such directory")


def test_missing_snapshot_dir_is_a_usage_error():
    r = cli("validate", "--snapshots", "/no/such/dir")
    assert (r.code, r.err) == (2, "error: snapshot directory /no/such/dir does not exist\n")


def test_bad_arguments_exit_2():
    r = cli("validate", "--format", "xml")
    assert r.code == 2 and "invalid choice: 'xml'" in r.err
    assert cli().code == 2


def test_snapshot_variable(tmp_path):
    r = cli("validate", env={"DATAPACKAGE_SNAPSHOTS": str(tmp_path)})
    assert r.code == 1 and "snapshot-not-found" in r.out


def test_tables_command():
    from ketamine_ssri_evidence import schemas

    r = cli("tables")
    assert r.code == 0 and r.out.split() == list(schemas.table_names())


# --- every way of naming what to validate ------------------------------------------------
import pytest  # noqa: E402

from ketamine_ssri_evidence.validation import UsageError, validate  # noqa: E402

HEISER = "heiser-ketamine-vs-ssris"


@pytest.mark.parametrize(
    "cwd, path",
    [
        (".", f"raw/{HEISER}"),
        (".", f"raw/{HEISER}/"),
        (".", f"./raw/{HEISER}"),
        (".", f"raw/../raw/{HEISER}"),
        (".", f"raw/{HEISER}/figures.csv"),
        (".", f"raw/{HEISER}/source.yaml"),
        (".", "raw"),
        (".", "raw/"),
        ("raw", HEISER),
        ("raw", f"./{HEISER}/"),
        ("raw", "."),
        ("raw", f"{HEISER}/figures.csv"),
        (f"raw/{HEISER}", "."),
        (f"raw/{HEISER}", "figures.csv"),
        (f"raw/{HEISER}", "../"),
        ("/", "ABSOLUTE"),
    ],
)
def test_every_path_form_validates_clean(cwd, path, monkeypatch):
    """A relative path used to be read twice: every row clashed with itself (duplicate-id)."""
    monkeypatch.chdir(ROOT / cwd if cwd != "/" else "/")
    if path == "ABSOLUTE":
        path = str(ROOT / "raw" / HEISER)
    assert [i.render() for i in validate([path], keep_rows=False).issues] == []


def test_the_contributor_command_of_contributing_md(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = cli("validate", f"raw/{HEISER}", f"raw/{HEISER}/figures.csv", "raw/juby-2024-ketamine-clinic/")
    assert (r.code, r.out) == (0, "0 problems\n"), r.out + r.err


@pytest.mark.parametrize("form", ["folder", "file", "outside"])
def test_one_folder_gets_the_same_problems_as_everything(form):
    """Rules that span sources (ids used by another source) hold when one folder is named."""
    raw = FIXTURES / "invalid" / "id-in-other-source" / "raw"
    everything = [i for i in validate(raw_dir=raw).issues if i.path.startswith("raw/second/")]
    target = raw / "second" if form != "file" else raw / "second" / "figures.csv"
    # outside: raw/ is the folder's parent
    got = (validate([target]) if form == "outside" else validate([target], raw_dir=raw)).issues
    assert got == everything and {i.code for i in got} == {"duplicate-id", "id-prefix"}
    assert validate([raw / "demo"], raw_dir=raw).issues == []


def test_a_path_outside_the_raw_folder_is_a_usage_error(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(UsageError, match="is not inside"):
        validate([tmp_path / "x"], raw_dir=FIXTURES / "valid" / "raw")


def test_a_path_too_long_is_a_usage_error(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = cli("validate", "raw/" + "x" * 5000)
    assert r.code == 2 and r.out == "" and r.err.startswith("error: ") and len(r.err.splitlines()) == 1, r.err


def test_codes_command_lists_every_code_with_its_meaning():
    from ketamine_ssri_evidence.issues import CODES

    r = cli("codes")
    assert r.code == 0
    rows = [line.split(None, 1) for line in r.out.splitlines()]
    assert {code: meaning for code, meaning in rows} == CODES


def test_an_unexpected_error_is_reported_without_a_traceback(monkeypatch):
    import ketamine_ssri_evidence.validation as validation

    def broken(*a, **k):
        raise RuntimeError("boom")

    monkeypatch.setattr(validation, "validate", broken)
    monkeypatch.delenv("DATAPACKAGE_DEBUG", raising=False)
    r = cli("validate")
    assert r.code == 3 and r.out == ""
    assert r.err.startswith("internal error: RuntimeError: boom")
