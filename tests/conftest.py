from __future__ import annotations

import contextlib
import importlib.util
import io
import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The archived article texts live beside the project when it is checked out in its
# workplace; the provenance test runs only when they are there (or named by the variable).
ARTICLES = Path(os.environ.get("DATAPACKAGE_SNAPSHOTS", ROOT.parent / "shared" / "sources" / "articles"))

try:  # Hypothesis profiles: HYPOTHESIS_PROFILE=mutation makes runs short and repeatable
    from hypothesis import settings

    settings.register_profile("mutation", max_examples=30, deadline=None, derandomize=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
except ImportError:  # pragma: no cover - hypothesis is in the test extra
    pass


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# tests/fixtures/regenerate.py: how a golden case runs and renders (a script, not a package)
regenerate = _module(FIXTURES / "regenerate.py")


@dataclass
class CliRun:
    code: int
    out: str
    err: str


def cli(*argv: str, env: dict[str, str] | None = None) -> CliRun:
    """Run ``python -m ketamine_ssri_evidence *argv`` in this process.

    Same exit status and output as the command (argparse's SystemExit included), without
    starting an interpreter. ``env`` sets environment variables for the call only.
    """
    from ketamine_ssri_evidence import cli as _cli

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = _cli.main(list(argv))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return CliRun(code, out.getvalue(), err.getvalue())
