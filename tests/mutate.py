"""Mutation testing of the pure modules with mutmut: ``python tests/mutate.py`` (or ``nox -s mutation``).

mutmut imports the mutated code under the folder's own name, and this project's folder
(``datapackage/``) installs under another name (``ketamine_ssri_evidence``). So this script
stages a copy of the project in ``.mutation/<target>/`` with the package folder named
``ketamine_ssri_evidence/``, writes into the copy's pyproject.toml the ``[tool.mutmut]``
settings of that one target (which files to mutate, which fast tests exercise them: see
``TARGETS``), runs ``mutmut run`` there, and prints the score. One target at a time, with at
most ``--max-children`` workers (default 2), so a run stays short and leaves the machine
usable. Afterwards, in ``.mutation/<target>/``: ``mutmut results`` lists the survivors and
``mutmut show NAME`` shows one.

    python tests/mutate.py                       # every target in turn
    python tests/mutate.py compare claim_checks  # these targets
    python tests/mutate.py compare "ketamine_ssri_evidence.comparison.x_span*"   # some mutants of one
    python tests/mutate.py --tests tests/test_checks.py compare   # other tests (a "before" score), staged
                                                                  # in .mutation/compare-other-tests/
    python tests/mutate.py --rerun compare       # the survivors of the last run again, with today's tests
    python tests/mutate.py --summary             # the scores of the last runs, every target
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutation"
PACKAGE = "ketamine_ssri_evidence"
# what the tests read besides the package (the rest of the checkout is not needed)
COPY = [
    "schemas",
    "raw",
    "build",
    "tests",
    "datapackage.json",
    "pyproject.toml",
    "CHANGELOG.md",
    "DATA_DICTIONARY.md",
    "CONTRIBUTING.md",
    "README.md",
    "CITATION.cff",
    "report",
    ".github",
]


class Target:
    """What one mutation run mutates, which of its mutants run, and the tests that judge them."""

    def __init__(self, files: list[str], tests: list[str], mutants: list[str] | None = None):
        self.files = files  # globs under the package folder
        self.tests = tests  # fast tests that exercise the files (in process, tiny inputs)
        self.mutants = mutants or []  # mutant-name globs; empty: every mutant of the files


_V = f"{PACKAGE}.validation"
TARGETS = {
    "figure_text": Target(
        ["figure_text.py"],
        [
            "tests/test_figuretext.py",
            "tests/test_figuretext_lists.py",
            "tests/test_validation_rules.py",
            "tests/test_compare_spans.py",
        ],
    ),
    "durations": Target(["durations.py"], ["tests/test_durations.py", "tests/test_compare_spans.py"]),
    "issues": Target(
        ["issues.py"], ["tests/test_issues.py", "tests/test_issue_limits.py", "tests/test_validation_rules.py"]
    ),
    "compare": Target(
        ["comparison.py"],
        ["tests/test_compare_spans.py", "tests/test_claim_checks_rules.py", "tests/test_contradiction_rules.py"],
    ),
    "claim_checks": Target(["claim_checks.py"], ["tests/test_claim_checks_rules.py"]),
    "contradictions": Target(
        ["contradictions.py"], ["tests/test_contradiction_rules.py", "tests/test_build_columns.py"]
    ),
    "derive": Target(["derived_figures.py"], ["tests/test_derive.py", "tests/test_derive_rules.py"]),
    # the validation rules: the cell checks and the figure rules (not the file reading, the
    # column-wise checks or the key checks)
    "validation": Target(
        ["validation/cells.py", "validation/figure_rules.py"],
        ["tests/test_validation_rules.py"],
        [
            f"{_V}.cells.xǁCellCheckerǁ_check__mutmut_*",
            f"{_V}.cells.x__snapshot_path__mutmut_*",
            f"{_V}.figure_rules.*",
        ],
    ),
}
# mutmut's exit codes of a mutant's test run, as in mutmut.stats
STATUS = {
    1: "killed",
    3: "killed",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    0: "survived",
    5: "no tests",
    33: "no tests",
    34: "skipped",
    35: "suspicious",
    36: "timeout",
    37: "caught by type check",
    -11: "segfault",
    -9: "segfault",
}


def stage(where: Path) -> None:
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    shutil.copytree(ROOT / "datapackage", where / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, where / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
        elif src.is_file():
            shutil.copy2(src, where / name)


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def configure(where: Path, target: Target, tests: list[str] | None = None) -> None:
    """Point the staged pyproject.toml's ``[tool.mutmut]`` at one target's files and tests."""
    path = where / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    files = [f"{PACKAGE}/{f}" for f in target.files]
    for key, value in (("only_mutate", files), ("pytest_add_cli_args_test_selection", tests or target.tests)):
        line = f"{key} = {_toml_list(value)}"
        text, n = re.subn(rf"(?ms)^{key} = \[.*?\]$", line.replace("\\", "\\\\"), text, count=1)
        if n != 1:
            raise SystemExit(f"pyproject.toml: [tool.mutmut] has no {key} list")
    path.write_text(text, encoding="utf-8")


def scores(stage: Path) -> dict[str, Counter]:
    """Mutant statuses per mutated module, from mutmut's result files."""
    out: dict[str, Counter] = {}
    for meta in sorted((stage / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        module = meta.relative_to(stage / "mutants").as_posix().removesuffix(".meta")
        out[module] = Counter(
            STATUS.get(code, "not run" if code is None else f"exit {code}")
            for code in data.get("exit_code_by_key", {}).values()
        )
    return out


def summary(stages: list[Path]) -> str:
    """A Markdown table: per staged run and module, mutants run, killed (timeouts count as killed), survived."""
    lines = [
        "| run | module | mutants run | killed | survived | no test reached it | killed % |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for where in stages:
        for module, c in scores(where).items():
            total = sum(n for status, n in c.items() if status != "not run")
            if not total:
                continue
            killed = c["killed"] + c["timeout"] + c["caught by type check"]
            lines.append(
                f"| {where.name} | {module} | {total} | {killed} | {c['survived']} | {c['no tests']} | "
                f"{100 * killed / total:.1f} |"
            )
    return "\n".join(lines) + "\n"


def survivors(where: Path) -> list[str]:
    """Names of the mutants that survived the last run staged in ``where``."""
    out = []
    for meta in sorted((where / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        out += [name for name, code in data.get("exit_code_by_key", {}).items() if code == 0]
    return out


def run(name: str, mutants: list[str], tests: list[str] | None, children: int, rerun: bool = False) -> int:
    target = TARGETS[name]
    where = STAGE / (f"{name}-other-tests" if tests else name)  # a "before" run keeps the target's results
    if rerun:  # same staged code and results; the tests as they are now; only the survivors run again
        if not (where / "mutants").is_dir():
            raise SystemExit(f"{where} holds no run to repeat: run python tests/mutate.py {name} first")
        shutil.rmtree(where / "tests")
        shutil.copytree(ROOT / "tests", where / "tests", ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
        shutil.copy2(ROOT / "pyproject.toml", where / "pyproject.toml")
        configure(where, target, tests)  # the target's tests as listed now
        mutants = mutants or survivors(where)
        if not mutants:
            sys.stdout.write(summary([where]))
            return 0
    else:
        stage(where)
        configure(where, target, tests)
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
    env = dict(os.environ, HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "mutation"))
    names = mutants or target.mutants
    code = subprocess.run([mutmut, "run", "--max-children", str(children), *names], cwd=where, env=env).returncode
    sys.stdout.write(summary([where]))
    return code


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--summary", action="store_true", help="only print the scores of the last runs")
    p.add_argument(
        "--rerun", action="store_true", help="run the survivors of each target's last run again, with the current tests"
    )
    p.add_argument("--max-children", type=int, default=2, help="mutmut workers (default 2)")
    p.add_argument(
        "--tests",
        action="append",
        metavar="FILE",
        help="a test file to judge the mutants by, instead of the target's (repeat for more)",
    )
    p.add_argument("names", nargs="*", help=f"targets ({', '.join(TARGETS)}; default: all), then mutant names")
    args = p.parse_args(argv)
    targets = [n for n in args.names if n in TARGETS]
    mutants = [n for n in args.names if n not in TARGETS]
    if args.summary:
        stages = [STAGE / f"{n}{suffix}" for n in (targets or TARGETS) for suffix in ("", "-other-tests")]
        sys.stdout.write(summary([where for where in stages if (where / "mutants").is_dir()]))
        return 0
    if mutants and len(targets) != 1:
        p.error("mutant names need exactly one target")
    code = 0
    for name in targets or list(TARGETS):
        code = run(name, mutants, args.tests, args.max_children, args.rerun) or code
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
