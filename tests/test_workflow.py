"""The pull-request workflow only reads, calls check-pr (which the suite also runs here),
and check-pr says what main's tests would say."""

from __future__ import annotations

import re
import shlex
import shutil

import pytest
import yaml
from repo_copy import add_source, copy_repository, run

from conftest import ROOT
from ketamine_ssri_evidence.cli import _parser
from ketamine_ssri_evidence.pr_check import (
    Problem,
    Report,
    annotation,
    check,
    escape_data,
    escape_property,
    render_annotations,
    render_summary,
    render_text,
)
from ketamine_ssri_evidence.releases import current_release
from ketamine_ssri_evidence.version_bump import next_versions

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _steps(doc):
    for job in doc["jobs"].values():
        yield from job["steps"]


def _runs(doc):
    for step in _steps(doc):
        if "run" in step:
            yield step["run"]


def _package_commands(script):
    """Argument lists of every 'python -m ketamine_ssri_evidence ...' in a shell script."""
    for line in script.splitlines():
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        segment: list[str] = []
        for tok in list(lex) + [";"]:
            if tok and set(tok) <= set("|&;<>()"):
                if "ketamine_ssri_evidence" in segment and segment[segment.index("ketamine_ssri_evidence") - 1] == "-m":
                    yield [
                        re.sub(r"\$\{?\w+\}?", "X", a) for a in segment[segment.index("ketamine_ssri_evidence") + 1 :]
                    ]
                segment = []
            else:
                segment.append(tok)


def test_there_is_a_workflow():
    assert WORKFLOWS


def test_triggers_on_pull_requests_touching_data_schemas_code_or_tests():
    doc = _load(WORKFLOWS[0])
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare 'on' as true
    paths = on["pull_request"]["paths"]
    assert {
        "raw/**",
        "schemas/**",
        "datapackage/**",
        "tests/**",
        "build/**",
        "pyproject.toml",
        "constraints.txt",
    } <= set(paths)


def test_only_reads_the_repository():
    for wf in WORKFLOWS:
        doc = _load(wf)
        assert doc["permissions"] == {"contents": "read"}
        for job in doc["jobs"].values():
            assert "permissions" not in job or job["permissions"] == {"contents": "read"}
        for step in _steps(doc):
            if step.get("uses", "").startswith("actions/checkout"):
                assert step["with"]["persist-credentials"] is False
        for script in _runs(doc):
            assert not re.search(r"git\s+(commit|push|tag)", script)


def test_pinned_python_and_pip_cache():
    """Every job pins Python: setup-python of a full version with pip's cache, or a container
    image of the Python of a full version."""
    for wf in WORKFLOWS:
        for job in _load(wf)["jobs"].values():
            image = job.get("container", "")
            if image:
                assert re.fullmatch(r"python:3\.\d+\.\d+(-[a-z]+)*", image), image
                continue
            setup = [s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python")]
            assert setup and all(re.fullmatch(r"3\.\d+\.\d+", s["with"]["python-version"]) for s in setup)
            assert all(s["with"].get("cache") == "pip" for s in setup)


def test_installs_like_the_readme_and_runs_check_pr_with_the_tests():
    install = re.search(r"pip install -q -c constraints.txt -e '\.\[test\]'", README)
    assert install, "the README's test command installs .[test]"
    parser = _parser()
    calls = []
    for wf in WORKFLOWS:
        scripts = list(_runs(_load(wf)))
        # installs as the README says, itself or through .ci/run (which does, below)
        assert any(
            "pip install -q -c constraints.txt -e '.[test]'" in s or re.search(r"^\s*\.ci/run\s*$", s, re.M)
            for s in scripts
        )
        for script in scripts:
            for args in _package_commands(script):
                ns = parser.parse_args(args)  # SystemExit (a failed test) if a command or option is unknown
                calls.append(ns)
    checks = [ns for ns in calls if ns.command == "check-pr"]
    assert checks and all(ns.tests == "always" and ns.base for ns in checks)


# ------------------------------------------------------------------ the two tiers of the suite


def _command_lines(script):
    return [line.strip() for line in script.splitlines() if "pytest" in line and not line.lstrip().startswith("#")]


def test_ci_runs_both_tiers_and_the_readme_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme_command = re.search(r"^(python3 -m venv .*python -m pytest)$", README, re.M)
    assert readme_command and readme_command.group(1) in ci  # the fast tier, as the README says
    lines = _command_lines(ci)
    assert any(re.search(r"python -m pytest --slow\b", line) for line in lines), lines  # the slow tier
    assert "--slow" not in readme_command.group(1)


def test_the_slow_tier_is_marked_documented_and_run_on_main():
    import tomllib

    pytest_ini = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert any(m.startswith("slow:") for m in pytest_ini["markers"])
    # the README's command is the fast tier on every core: the slow tier is never on by default
    addopts = pytest_ini.get("addopts", [])
    assert not any(a.startswith("--slow") for a in addopts)
    assert "-n" in addopts and addopts[addopts.index("-n") + 1] == "auto"
    contributing = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    for text in (README, contributing):
        assert "python -m pytest --slow" in text and "-n 2" in text
    # the pull-request check runs the fast tier (check-pr's python -m pytest); main and tags run both
    on_main = [
        wf
        for wf in WORKFLOWS
        if "main" in (_load(wf).get("on", _load(wf).get(True)).get("push") or {}).get("branches", [])
    ]
    assert on_main and all(any(re.search(r"^\s*\.ci/run\s*$", s, re.M) for s in _runs(_load(wf))) for wf in on_main)


def test_check_pr_runs_the_fast_tier(monkeypatch, tmp_path):
    """check-pr runs python -m pytest in the project, without --slow: the fast tier."""
    import subprocess

    from ketamine_ssri_evidence import pr_check

    seen = {}

    def fake_run(args, **kw):
        seen["args"], seen["cwd"] = args, kw.get("cwd")
        return subprocess.CompletedProcess(args, 0, "1 passed in 0.01s\n", "")

    monkeypatch.setattr(pr_check.subprocess, "run", fake_run)
    report = pr_check.Report()
    pr_check._run_tests(tmp_path, report, [])
    assert seen["args"][1:3] == ["-m", "pytest"] and "--slow" not in seen["args"] and seen["cwd"] == tmp_path
    assert report.tests_ok and report.tests == "passed: 1 passed in 0.01s"


# ------------------------------------------------------------------ escaping


def test_escaping_follows_the_workflow_command_rules():
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("raw/a,b:c%\n.csv") == "raw/a%2Cb%3Ac%25%0A.csv"
    line = annotation("error", "bad: 5%\nsecond line", file="raw/x,y:z/figures.csv", line=3, title="code: a,b")
    assert line == ("::error file=raw/x%2Cy%3Az/figures.csv,line=3,title=code%3A a%2Cb::bad: 5%25%0Asecond line")
    assert "\n" not in line


def test_every_problem_reaches_the_summary_and_the_annotations():
    report = Report(
        problems=[
            Problem(f"raw/s{i}/figures.csv:{i}: value: x: bad | value [type]", f"raw/s{i}/figures.csv", i, "type")
            for i in range(1, 26)
        ]
    )
    summary = render_summary(report)
    assert summary.startswith("## Pull-request check: fails\n")
    assert "### 25 problems" in summary
    for i in range(1, 26):
        assert f"| `raw/s{i}/figures.csv:{i}` | raw/s{i}/figures.csv:{i}: value: x: bad \\| value [type] |" in summary
    notes = render_annotations(report).splitlines()
    assert len([n for n in notes if n.startswith("::error ")]) == 25
    assert notes[-1].startswith("::notice ") and "job summary lists every one" in notes[-1]
    assert render_text(report).splitlines()[-1] == "check-pr fails: 25 problems"


# ------------------------------------------------------------------ check-pr itself


@pytest.fixture(scope="module")
def project_report():
    return check(tests="never")


def test_check_pr_passes_on_this_tree(project_report):
    r = project_report
    assert r.problems == [] and not r.release_needed and r.ok, render_text(r)
    assert "No new release is needed" in r.release
    for table in ("sources", "figures", "claim_checks", "contradictions"):
        assert f"\n{table} " in "\n" + r.diff_text
    assert "(key: figure_id_a, figure_id_b)" in r.diff_text


@pytest.fixture(scope="module")
def contribution(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("contribution")
    copy_repository(repo)
    add_source(repo)
    return repo, run(
        repo, "check-pr", "--tests", "never", "--base", "HEAD", "--summary", str(repo / "summary.md"), "--annotations"
    )


@pytest.mark.slow  # check-pr in a copy of the repository
def test_a_source_without_a_release_is_told_to_make_one(contribution):
    repo, proc = contribution
    assert proc.returncode == 1, proc.stderr
    nxt = next_versions(current_release()["version"])["minor"]
    command = f"python -m ketamine_ssri_evidence release {nxt} --summary"
    out = proc.stdout
    assert "release needed: This change needs a new release" in out and command in out
    assert "figures: 5 rows added" in out
    assert "  example-new-source/001\n" in out  # the diff of every table is rendered, not only its headline
    assert out.count("::error ") == 1 and "title=a new release is needed::" in out
    summary = (repo / "summary.md").read_text(encoding="utf-8")
    assert "**A new release is needed.**" in summary and command in summary
    last = current_release()["version"]
    assert f"figures {last} → this change: 5 added, 0 removed, 0 changed (key: figure_id)" in summary


@pytest.mark.slow  # check-pr in a copy of the repository
def test_check_pr_problems_are_every_validation_problem(tmp_path_factory):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path_factory.mktemp("broken")
    copy_repository(repo)
    new = add_source(repo, "bad,name:source")
    fig = new / "figures.csv"
    fig.write_text(fig.read_text(encoding="utf-8").replace(",qualitative,", ",nonsense,"), encoding="utf-8")
    proc = run(repo, "check-pr", "--tests", "never", "--annotations")
    assert proc.returncode == 1
    errors = [line for line in proc.stdout.splitlines() if line.startswith("::error ")]
    # the folder's own name is a problem (no line); its properties are escaped (',' and ':')
    bad = [e for e in errors if "bad" in e]
    assert bad and all("file=raw/bad%2Cname%3Asource" in e.split("::")[1] for e in bad)
    assert all("," not in e.split("::")[1].split("file=", 1)[1].split(",", 1)[0] for e in bad)
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.slow  # check-pr in a copy of the repository
def test_a_corrupt_versions_json_is_a_problem_not_a_crash(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    copy_repository(tmp_path)
    (tmp_path / "build" / "versions.json").write_text('{"versions": [', encoding="utf-8")
    proc = run(tmp_path, "check-pr", "--tests", "never")
    assert proc.returncode == 1
    assert "versions.json: corrupt" in proc.stdout and "internal error" not in proc.stderr, proc.stderr


@pytest.mark.slow  # check-pr in a copy of the repository
def test_a_release_new_on_the_branch_that_raw_no_longer_builds_is_told_to_redo(tmp_path):
    """The branch added release N and built it, then changed raw/ again: cut N again."""
    import json

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    copy_repository(tmp_path)
    add_source(tmp_path)
    nxt = next_versions(current_release()["version"])["minor"]
    pkg = tmp_path / "schemas" / "package.json"
    meta = json.loads(pkg.read_text(encoding="utf-8"))
    meta["releases"][-1].setdefault("source_commit", "0" * 40)
    meta["releases"].append({"version": nxt, "date": "2099-01-01", "summary": "A new source."})
    pkg.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    assert run(tmp_path, "build").returncode == 0
    fig = tmp_path / "raw" / "example-new-source" / "figures.csv"
    fig.write_text(fig.read_text(encoding="utf-8").replace("Time a person", "The time a person"), encoding="utf-8")
    proc = run(tmp_path, "check-pr", "--tests", "never", "--base", "HEAD")
    assert proc.returncode == 1
    assert f"release {nxt} --redo --summary" in proc.stdout
