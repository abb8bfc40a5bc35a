"""Golden corpus: every invalid contribution yields exactly its expected problems.

Each case's ``expected.txt`` is the validator's whole output, line for line (path, line,
field, value, reason and code, then the count line); ``expected.csv`` holds the
``(path, line, code)`` written by hand in make_invalid.py. Regenerate ``expected.txt`` with
``python tests/fixtures/regenerate.py --write`` and read the diff.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, bounded, cli, regenerate
from ketamine_ssri_evidence import schemas
from ketamine_ssri_evidence.issues import CODES
from ketamine_ssri_evidence.validation import validate

CASES = regenerate.cases()
sys.path.insert(0, str(FIXTURES))
import make_invalid  # noqa: E402  (the cases made at test time: links, FIFOs, odd file names)

RUNTIME = sorted(make_invalid.RUNTIME)
# codes that no fixture can trigger while no schema field uses the constraint behind them
UNREACHABLE = {
    "maximum": lambda: not any(f.maximum is not None for t in schemas.table_names() for f in schemas.table(t).fields)
}
_expected = regenerate.hand_written


# codes that the build reports (derived figures and reviews, read by the build, not by validate):
# tests/test_reviews_and_derived.py triggers each of them
BUILD_CODES = {"derived-input", "derived-formula", "review-unknown-figure", "review-stale"}


def _golden(case) -> str:
    path = case / regenerate.EXPECTED
    if not path.is_file():
        pytest.fail(
            f"{case.name} has no {regenerate.EXPECTED}: run python tests/fixtures/regenerate.py --write "
            "and read every line of it"
        )
    return path.read_text(encoding="utf-8")


def test_valid_fixture_is_clean():
    case = FIXTURES / "valid"
    assert validate(raw_dir=case / "raw", snapshots=case / "snapshots").issues == []


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_invalid_fixture(case):
    text, got = regenerate.render(case)
    assert got == _expected(case)
    assert text.splitlines() == _golden(case).splitlines()


@pytest.mark.parametrize("name", RUNTIME)
def test_invalid_case_made_at_test_time(name, tmp_path):
    raw = make_invalid.make_runtime(name, tmp_path / name)
    got = sorted((i.path, i.line, i.code) for i in validate(raw_dir=raw, snapshots=raw.parent / "snapshots").issues)
    assert got == sorted(make_invalid.RUNTIME[name][1])


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_a_fixture(code):
    covered = {c for case in CASES for _, _, c in _expected(case)}
    covered |= {c for name in RUNTIME for _, _, c in make_invalid.RUNTIME[name][1]}
    if code in BUILD_CODES:
        assert f'"{code}")' in (ROOT / "tests" / "test_reviews_and_derived.py").read_text(encoding="utf-8")
        return
    if code in UNREACHABLE:
        assert UNREACHABLE[code](), f"{code} is reachable now: add a fixture for it"
        return
    assert code in covered, f"no fixture in tests/fixtures/invalid yields {code}"


def test_corpus_is_up_to_date(tmp_path):
    """The committed corpus is what make_invalid.py writes (no hand edits drift)."""
    script = FIXTURES / "make_invalid.py"
    src = script.read_text(encoding="utf-8")
    out = tmp_path / "invalid"
    code = src.replace('OUT = HERE / "invalid"', f"OUT = __import__('pathlib').Path({str(out)!r})")
    subprocess.run(
        [
            sys.executable,
            "-c",
            code.replace("HERE = Path(__file__).resolve().parent", f"HERE = Path({str(FIXTURES)!r})"),
        ],
        check=True,
        capture_output=True,
    )
    for case in CASES:
        for p in case.rglob("*"):
            if p.is_file() and p.name != regenerate.EXPECTED:  # written by regenerate.py
                assert p.read_bytes() == (out / p.relative_to(FIXTURES / "invalid")).read_bytes(), p


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_cli_prints_the_golden_lines(case):
    """The command's own output (run in this process): exit 1, the golden lines, nothing on stderr."""
    args = ["validate", "--raw", str(case / "raw")]
    if "max_bytes" in regenerate.options(case):  # the size cap, in megabytes, as a user would raise it
        args += ["--max-file-mb", repr(regenerate.options(case)["max_bytes"] / 1024 / 1024)]
    if regenerate.snapshots(case):
        args += ["--snapshots", str(regenerate.snapshots(case))]
    run = cli(*args)
    assert (run.code, run.err) == (1, "")
    assert regenerate.normalise(run.out, case).splitlines() == _golden(case).splitlines()


def test_a_100_mb_file_is_refused_by_its_size(tmp_path):
    """Not committed (too big): made here as a sparse file, refused before it is read."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "valid" / "raw", raw)
    big = raw / "demo" / "figures.csv"
    with big.open("r+b") as f:
        f.truncate(100 * 1024 * 1024)
    with bounded(30) as run:  # in this process: the growth of its peak memory during the run
        result = validate(raw_dir=raw)
    assert sorted({i.code for i in result.issues}) == ["file-too-large"]
    assert run.seconds < 10 and run.peak_mb < 100, f"{run.seconds:.1f} s, peak memory grew by {run.peak_mb:.0f} MB"


def test_a_rule_reads_only_the_fields_it_declares():
    """A rule that reads a field it did not declare fails loudly instead of seeing None."""
    from ketamine_ssri_evidence.validation import figure_rules
    from ketamine_ssri_evidence.validation.rows import UndeclaredField

    def reads_population(row, emit):
        row["population"]

    r = figure_rules.Rule("figures", frozenset({"qualifier"}), ("qualifier",), reads_population)
    with pytest.raises(UndeclaredField):
        r.fn(
            figure_rules.RuleRow({"qualifier": "exact", "population": "adults"}, frozenset(), r.reads), lambda *a: None
        )
    # the fields the columnar driver groups by are those the registered rules declare
    declared = set().union(*(x.reads for x in figure_rules.rules_of("figures")))
    assert set(figure_rules.reads("figures")) == declared


def test_result_tables_are_typed_columns_in_schema_order():
    import pyarrow as pa

    from ketamine_ssri_evidence.field_types import field_type

    r = validate(raw_dir=FIXTURES / "valid" / "raw")
    for name in schemas.contributed_table_names():
        t = r.tables[name]
        fields = schemas.table(name).raw_fields
        assert t.column_names == [f.name for f in fields] + ["_folder", "_path", "_line"]
        assert [t.schema.field(f.name).type for f in fields] == [field_type(f.type).arrow_type() for f in fields]
        assert t.schema.field("_line").type == pa.int64()
        assert r.rows[name] == t.to_pylist()


def test_the_file_cap_is_raised_by_option_or_environment(tmp_path, monkeypatch):
    """20 MiB by default; --max-file-mb and $DATAPACKAGE_MAX_FILE_MB raise or lower it, and the
    message says how."""
    import shutil

    raw = tmp_path / "raw"
    shutil.copytree(FIXTURES / "valid" / "raw", raw)
    size = (raw / "demo" / "figures.csv").stat().st_size
    small = repr(512 / 1024 / 1024)
    run = cli("validate", "--raw", str(raw), "--max-file-mb", small)
    assert (
        run.code == 1
        and f"the file has {size:,} bytes; the limit is 512 bytes; raise the limit with "
        "--max-file-mb N (or the environment variable DATAPACKAGE_MAX_FILE_MB)"
        in run.out
    )
    assert cli("validate", "--raw", str(raw), "--max-file-mb", "1").code == 0
    monkeypatch.setenv("DATAPACKAGE_MAX_FILE_MB", small)
    assert "[file-too-large]" in cli("validate", "--raw", str(raw)).out
    assert cli("validate", "--raw", str(raw), "--max-file-mb", "20").code == 0  # the option wins
    monkeypatch.setenv("DATAPACKAGE_MAX_FILE_MB", "lots")
    bad = cli("validate", "--raw", str(raw))
    assert bad.code == 2 and "DATAPACKAGE_MAX_FILE_MB=lots is not a number of megabytes" in bad.err
    monkeypatch.delenv("DATAPACKAGE_MAX_FILE_MB")
    assert cli("validate", "--raw", str(raw), "--max-file-mb", "0").code == 2
    for command in ("build", "check-pr"):
        assert "--max-file-mb" in cli(command, "--help").out


@pytest.mark.parametrize("extra", ["", "authors: [A. Author, B. Author]\n", "authors:\n  - - nested\n"])
def test_a_null_in_source_yaml_is_an_empty_value(tmp_path, extra):
    """One libyaml pass for a plain record, the event stream otherwise: the same record."""
    from ketamine_ssri_evidence.validation.reading import read_yaml_record

    path = tmp_path / "source.yaml"
    path.write_text('title: ~\ndoi: null\nnote: ""\npmid: "~"\nurl:\n' + extra, encoding="utf-8")
    issues: list = []
    row = read_yaml_record(path, "source.yaml", issues).rows[0]
    assert [row[k].value for k in ("title", "doi", "note", "pmid", "url")] == ["", "", "", "~", ""]
