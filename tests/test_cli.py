"""The command line: exit statuses, formats, and plain messages for bad input."""
from __future__ import annotations

import json
import subprocess
import sys

from conftest import FIXTURES, ROOT


def run(*args, **kw):
    return subprocess.run([sys.executable, "-m", "ketamine_ssri_evidence", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, **kw)


def test_validate_clean_exits_0():
    proc = run("validate")
    assert proc.returncode == 0 and proc.stdout.strip() == "0 problems"


def test_validate_given_folder():
    proc = run("validate", "--raw", str(FIXTURES / "valid" / "raw"), str(FIXTURES / "valid" / "raw" / "demo"))
    assert proc.returncode == 0, proc.stdout


def test_validate_errors_exit_1_with_count_line():
    case = FIXTURES / "invalid" / "formula-injection"
    proc = run("validate", "--raw", str(case / "raw"))
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert lines[-1] == "4 problems: formula-injection 4"
    assert lines[0].startswith("raw/demo/figures.csv:2: note: =HYPERLINK")
    assert lines[0].endswith("[formula-injection]")
    assert lines[:-1] == sorted(lines[:-1])


def test_json_format():
    case = FIXTURES / "invalid" / "value-order"
    proc = run("validate", "--raw", str(case / "raw"), "--format", "json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 1 and data["count"] == 2
    assert data["by_code"] == {"text-mismatch": 1, "value-order": 1}
    assert set(data["problems"][0]) == {"path", "line", "field", "value", "code", "reason"}


def test_github_format():
    case = FIXTURES / "invalid" / "unknown-code"
    proc = run("validate", "--raw", str(case / "raw"), "--format", "github")
    assert proc.stdout.startswith("::error file=raw/demo/figures.csv,line=2,title=unknown-code::measure: ")


def test_missing_path_is_a_usage_error():
    proc = run("validate", "raw/no-such-source")
    assert proc.returncode == 2 and "no such directory" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_snapshot_dir_is_a_usage_error():
    proc = run("validate", "--snapshots", "/no/such/dir")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_bad_arguments_exit_2():
    assert run("validate", "--format", "xml").returncode == 2
    assert run().returncode == 2


def test_snapshot_variable(tmp_path):
    import os
    env = dict(os.environ, DATAPACKAGE_SNAPSHOTS=str(tmp_path))
    proc = run("validate", env=env)
    assert proc.returncode == 1 and "snapshot-not-found" in proc.stdout


def test_tables_command():
    proc = run("tables")
    from ketamine_ssri_evidence import _schema

    assert proc.returncode == 0 and proc.stdout.split() == list(_schema.table_names())


# --- every way of naming what to validate ------------------------------------------------
import pytest  # noqa: E402

from ketamine_ssri_evidence.validation import UsageError, validate  # noqa: E402

HEISER = "heiser-ketamine-vs-ssris"


@pytest.mark.parametrize("cwd, path", [
    (".", f"raw/{HEISER}"), (".", f"raw/{HEISER}/"), (".", f"./raw/{HEISER}"), (".", f"raw/../raw/{HEISER}"),
    (".", f"raw/{HEISER}/figures.csv"), (".", f"raw/{HEISER}/source.yaml"), (".", "raw"), (".", "raw/"),
    ("raw", HEISER), ("raw", f"./{HEISER}/"), ("raw", "."), ("raw", f"{HEISER}/figures.csv"),
    (f"raw/{HEISER}", "."), (f"raw/{HEISER}", "figures.csv"), (f"raw/{HEISER}", "../"),
    ("/", "ABSOLUTE"),
])
def test_every_path_form_validates_clean(cwd, path, monkeypatch):
    """A relative path used to be read twice: every row clashed with itself (duplicate-id)."""
    monkeypatch.chdir(ROOT / cwd if cwd != "/" else "/")
    if path == "ABSOLUTE":
        path = str(ROOT / "raw" / HEISER)
    assert [i.render() for i in validate([path], keep_rows=False).issues] == []


def test_the_contributor_command_of_contributing_md():
    proc = run("validate", f"raw/{HEISER}", f"raw/{HEISER}/figures.csv", "raw/juby-2024-ketamine-clinic/")
    assert proc.returncode == 0 and proc.stdout == "0 problems\n", proc.stdout


@pytest.mark.parametrize("form", ["folder", "file", "outside"])
def test_one_folder_gets_the_same_problems_as_everything(form):
    """Rules that span sources (ids used by another source) hold when one folder is named."""
    raw = FIXTURES / "invalid" / "id-in-other-source" / "raw"
    everything = [i for i in validate(raw_dir=raw).issues if i.path.startswith("raw/second/")]
    target = raw / "second" if form != "file" else raw / "second" / "figures.csv"
    kw = {} if form == "outside" else {"raw_dir": raw}  # outside: raw/ is the folder's parent
    got = validate([target], **kw).issues
    assert got == everything and {i.code for i in got} == {"duplicate-id", "id-prefix"}
    assert validate([raw / "demo"], raw_dir=raw).issues == []


def test_a_path_outside_the_raw_folder_is_a_usage_error(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(UsageError, match="is not inside"):
        validate([tmp_path / "x"], raw_dir=FIXTURES / "valid" / "raw")


def test_a_path_too_long_is_a_usage_error():
    proc = run("validate", "raw/" + "x" * 5000)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.startswith("error: ")
