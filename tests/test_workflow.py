"""The pull-request workflow parses, only reads, and runs commands the CLI has."""
from __future__ import annotations

import re
import shlex

import yaml

from conftest import ROOT
from ketamine_ssri_evidence.cli import _parser

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _runs(doc):
    for job in doc["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                yield step["run"]


def _datapackage_commands(script):
    """Argument lists of every 'python -m ketamine_ssri_evidence ...' in a shell script."""
    for line in script.splitlines():
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        segment = []
        for tok in list(lex) + [";"]:
            if tok and set(tok) <= set("|&;<>()"):
                if "ketamine_ssri_evidence" in segment and segment[segment.index("ketamine_ssri_evidence") - 1] == "-m":
                    yield [re.sub(r"\$\{?\w+\}?", "X", a) for a in segment[segment.index("ketamine_ssri_evidence") + 1:]]
                segment = []
            else:
                segment.append(tok)


def test_there_is_a_workflow():
    assert WORKFLOWS


def test_triggers_on_pull_requests_touching_data_schemas_or_package():
    doc = _load(WORKFLOWS[0])
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare 'on' as true
    paths = on["pull_request"]["paths"]
    assert {"raw/**", "schemas/**", "datapackage/**"} <= set(paths)


def test_only_reads_the_repository():
    for wf in WORKFLOWS:
        doc = _load(wf)
        assert doc["permissions"] == {"contents": "read"}
        for script in _runs(doc):
            assert not re.search(r"git\s+(commit|push|tag)", script)


def test_every_datapackage_command_exists_in_the_cli():
    parser = _parser()
    seen = []
    for wf in WORKFLOWS:
        for script in _runs(_load(wf)):
            for args in _datapackage_commands(script):
                parser.parse_args(args)  # SystemExit (a failed test) if a command or option is unknown
                seen.append(args[0])
    assert {"validate", "build", "diff"} <= set(seen)
    assert any("--format" in a and "github" in a for wf in WORKFLOWS for s in _runs(_load(wf))
               for a in _datapackage_commands(s))
