"""Mutation testing of the pure modules with mutmut: ``python tests/mutate.py`` (or ``nox -s mutation``).

mutmut imports the mutated code under the folder's own name, and this project's folder
(``datapackage/``) installs under another name (``ketamine_ssri_evidence``). So this script
stages a copy of the project in ``.mutation/`` with the package folder named
``ketamine_ssri_evidence/``, runs ``mutmut run`` there with the ``[tool.mutmut]`` settings of
pyproject.toml (which modules, which tests), and prints the score per module. Extra
arguments go to ``mutmut run`` (for example mutant names). Afterwards, in ``.mutation/``:
``mutmut results`` lists the survivors and ``mutmut show NAME`` shows one.

    python tests/mutate.py                 # stage afresh and run every mutant
    python tests/mutate.py --summary       # only print the score of the last run
    python tests/mutate.py "ketamine_ssri_evidence.figuretext*"   # the mutants of one module
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutation"
PACKAGE = "ketamine_ssri_evidence"
# what the tests read besides the package (the rest of the checkout is not needed)
COPY = ["schemas", "raw", "build", "tests", "datapackage.json", "pyproject.toml", "CHANGELOG.md",
        "DATA_DICTIONARY.md", "CONTRIBUTING.md", "README.md", "CITATION.cff", "report", ".github"]
# mutmut's exit codes of a mutant's test run, as in mutmut.stats
STATUS = {1: "killed", 3: "killed", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout",
          0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 35: "suspicious", 36: "timeout",
          37: "caught by type check", -11: "segfault", -9: "segfault"}


def stage() -> None:
    shutil.rmtree(STAGE, ignore_errors=True)
    STAGE.mkdir()
    shutil.copytree(ROOT / "datapackage", STAGE / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, STAGE / name, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
        elif src.is_file():
            shutil.copy2(src, STAGE / name)


def scores(stage: Path = STAGE) -> dict[str, Counter]:
    """Mutant statuses per mutated module, from mutmut's result files."""
    out: dict[str, Counter] = {}
    for meta in sorted((stage / "mutants").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        module = meta.relative_to(stage / "mutants").as_posix().removesuffix(".meta")
        out[module] = Counter(STATUS.get(code, "not run" if code is None else f"exit {code}")
                              for code in data.get("exit_code_by_key", {}).values())
    return out


def summary(stage: Path = STAGE) -> str:
    """A Markdown table: per module, mutants run, killed (timeouts count as killed), survived."""
    lines = ["| module | mutants run | killed | survived | no test reached it | killed % |",
             "|---|---:|---:|---:|---:|---:|"]
    for module, c in scores(stage).items():
        total = sum(n for status, n in c.items() if status != "not run")
        if not total:
            continue
        killed = c["killed"] + c["timeout"] + c["caught by type check"]
        lines.append(f"| {module} | {total} | {killed} | {c['survived']} | {c['no tests']} | {100 * killed / total:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--summary"]:  # of the last run, or of the staged copy named after it
        sys.stdout.write(summary(Path(argv[1]) if len(argv) > 1 else STAGE))
        return 0
    stage()
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
    env = dict(os.environ, HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "mutation"))
    code = subprocess.run([mutmut, "run", *argv], cwd=STAGE, env=env).returncode
    sys.stdout.write(summary())
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
