"""One entry point for the usual jobs: ``nox -s tests``, ``nox -s lint`` and so on.

Every session runs in the environment nox itself runs in (the project's .venv), so install
the tools once with ``pip install -c constraints.txt -e '.[test,report,dev]'`` and run
``.venv/bin/nox -s NAME``. ``nox -l`` lists the sessions; arguments after ``--`` go to the
tool (``nox -s tests -- tests/test_cli.py -k json``).
"""

from __future__ import annotations

import sys

import nox

PY = sys.executable  # the environment nox runs in: its tools need not be on PATH

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.default_venv_backend = "none"


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """The fast tier on every core (with the doctests of the package), or the tests named after --."""
    session.run(PY, "-m", "pytest", *(session.posargs or ["-n", "auto"]))


@nox.session(python=False)
def full(session: nox.Session) -> None:
    """Both tiers, as CI runs them: the fast tier and the tests marked slow."""
    session.run(PY, "-m", "pytest", "--slow", *(session.posargs or ["-n", "auto"]))


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """ruff's lint rules of pyproject.toml, and that ruff format would change no file."""
    session.run(PY, "-m", "ruff", "check", *session.posargs, ".")
    session.run(PY, "-m", "ruff", "format", "--check", ".")


@nox.session(python=False)
def format(session: nox.Session) -> None:
    """Whether ruff format would change a file (use -- --diff to see how)."""
    session.run(PY, "-m", "ruff", "format", "--check", *session.posargs, ".")


@nox.session(python=False)
def typecheck(session: nox.Session) -> None:
    """mypy with the settings of pyproject.toml."""
    session.run(PY, "-m", "mypy", *session.posargs)


@nox.session(python=False)
def mutation(session: nox.Session) -> None:
    """Mutation testing of the pure modules ([tool.mutmut] in pyproject.toml); slow."""
    session.run(PY, "tests/mutate.py", *session.posargs)


@nox.session(python=False)
def regenerate(session: nox.Session) -> None:
    """Rewrite every generated file; then read `git diff` before committing."""
    session.run(PY, "-m", "ketamine_ssri_evidence", "docs")
    session.run(PY, "-m", "ketamine_ssri_evidence", "changelog")
    session.run(PY, "tests/fixtures/make_invalid.py")
    session.run(PY, "tests/fixtures/regenerate.py", "--write")
    session.run("git", "status", "--short", external=True)
