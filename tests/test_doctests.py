"""The examples in the package's docstrings run and print what they say.

Every module of the package whose source holds an example (``>>>``) is one case, imported
under its import name (a new example in any module is picked up without a new test).
"""

from __future__ import annotations

import doctest
import importlib
import io

import pytest

from conftest import ROOT

PACKAGE, FOLDER = "ketamine_ssri_evidence", ROOT / "datapackage"


def _module_name(path) -> str:
    parts = list(path.relative_to(FOLDER).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([PACKAGE, *parts])


WITH_EXAMPLES = sorted(_module_name(p) for p in FOLDER.rglob("*.py") if ">>>" in p.read_text(encoding="utf-8"))


def test_the_package_has_examples():
    assert WITH_EXAMPLES, "no module of the package holds an example"


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_examples_run(name):
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    assert tests, f"{name} holds '>>>' but no example doctest finds"
    for t in tests:
        runner.run(t, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, out.getvalue()
