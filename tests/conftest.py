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

if os.environ.get("HYPOTHESIS_PROFILE"):  # HYPOTHESIS_PROFILE=mutation makes runs short and repeatable
    # (imported only then: Hypothesis takes a second to import, and the process that hands the
    # tests to the workers needs none of it)
    from hypothesis import settings

    settings.register_profile("mutation", max_examples=30, deadline=None, derandomize=True)
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])


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


# ---------------------------------------------------------------- the two tiers
#
# `python -m pytest` runs the fast tier: everything but the tests marked `slow` (a real
# browser, LibreOffice, pre-commit's own runs, python -m build, installing from the package
# index, cutting a release end to end in a copy of the repository). `--slow` runs those too;
# `-m slow --slow` runs only them. CI (.ci/run) runs both tiers.

SLOW_REASON = "slow tier: run with python -m pytest --slow (CI runs it)"


def pytest_addoption(parser):
    parser.addoption(
        "--slow",
        action="store_true",
        default=False,
        help="also run the slow tier (tests marked slow); CI runs both tiers",
    )


def pytest_collection_modifyitems(config, items):
    import pytest

    if config.getoption("--slow"):
        return
    skip = pytest.mark.skip(reason=SLOW_REASON)
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)


# ---------------------------------------------------------------- bounds of one in-process run

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(key: str) -> int:
    import re

    m = re.search(rf"^{key}:\s+([0-9]+) kB", _STATUS.read_text(), re.M)
    return int(m.group(1)) if m else 0


def _release_free_memory() -> None:
    """Return freed memory to the system, so that the next peak is the next run's own. (No
    gc.collect(): it costs a tenth of a second in a process this size, and garbage left
    uncollected only raises the start, never hides a run's own growth.)"""
    import ctypes

    try:
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pass
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _reset_peak() -> bool:
    """Reset the process's peak resident memory (Linux: writing 5 to /proc/self/clear_refs)."""
    try:
        _CLEAR_REFS.write_text("5")
        return True
    except OSError:
        return False


class TooSlow(BaseException):
    """A run went past its time bound (raised in the run by a timer signal). Not an
    Exception, so that the command line's own handler of unexpected errors lets it through."""


@dataclass
class Bounds:
    seconds: float = 0.0
    peak_mb: float = 0.0  # the growth of peak memory during the run, above what the process held before
    how: str = ""  # "rss" (the process's peak resident memory) or "tracemalloc" (Python's allocations)


@contextlib.contextmanager
def bounded(seconds: float, *, tracemalloc_only: bool = False):
    """Measure the wall time and the peak memory of the block, and stop it at ``seconds``.

    Memory is the growth of the process's peak resident set over what it held before (Linux,
    where the peak can be reset), which counts what C libraries (pyarrow, the csv and yaml
    parsers) allocate; elsewhere, or with ``tracemalloc_only``, Python's allocations as
    tracemalloc counts them. A block that runs past ``seconds`` gets TooSlow raised in it (a
    timer signal, in the main thread), so a hang (a FIFO read, an endless loop) fails the
    test instead of stopping the suite.
    """
    import signal
    import threading
    import time
    import tracemalloc

    result = Bounds()
    use_rss = not tracemalloc_only and _STATUS.exists() and _reset_peak()
    if use_rss:
        _release_free_memory()
        _reset_peak()
        base = _status_kb("VmRSS")
        result.how = "rss"
    else:
        tracemalloc.start()
        result.how = "tracemalloc"
    timer = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
    if timer:

        def _stop(signum, frame):
            raise TooSlow(f"still running after {seconds} s")

        old = signal.signal(signal.SIGALRM, _stop)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    t0 = time.monotonic()
    try:
        yield result
    finally:
        result.seconds = time.monotonic() - t0
        if timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
        if use_rss:
            result.peak_mb = max(0, _status_kb("VmHWM") - base) / 1024
        else:
            result.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()


# ---------------------------------------------------------------- expensive things, made once a session


def _session_fixture(fn):
    import pytest

    return pytest.fixture(scope="session")(fn)


def made_once(tmp_path_factory, name: str, make) -> Path:
    """The folder ``name``, made by ``make(folder)`` once for the whole run: with pytest-xdist
    the workers share it (the first makes it under a lock, the others wait and read it)."""
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the workers' base folders sit side by side in the run's own
    folder = base / name
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / f"{name}.done").exists():
            if folder.exists():  # a maker that failed half way
                import shutil

                shutil.rmtree(folder)
            folder.mkdir()
            make(folder)
            (base / f"{name}.done").touch()
    return folder


@_session_fixture
def real_build(tmp_path_factory):
    """``build`` of the real raw/ into a scratch folder, once a run (a folder holding
    ``build/`` and ``datapackage.json``). Read it; copy it before changing anything in it."""

    def make(tmp):
        from ketamine_ssri_evidence.release_build import build

        build(out_dir=tmp / "build", root_descriptor=tmp / "datapackage.json")

    return made_once(tmp_path_factory, "real-build", make)


@_session_fixture
def real_report(tmp_path_factory):
    """The report of the current release (``write_report``), once a run: its folder."""
    import pytest

    pytest.importorskip("altair")

    def make(out):
        from ketamine_ssri_evidence.report import write_report

        write_report(out)

    return made_once(tmp_path_factory, "real-report", make)
