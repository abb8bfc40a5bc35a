"""``validate --changed`` reads only the changed folders and the cached index of the others,
and reports exactly what a full run reports for the changed folders, plus the full run's
problems of the rules that span sources wherever they are."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, cli

if shutil.which("git") is None:  # pragma: no cover - git is part of every checkout
    pytest.skip("git is not installed", allow_module_level=True)

CROSS = {"duplicate-id", "unknown-reference", "restates-unknown"}  # rules that span sources
ENV = {
    "GIT_AUTHOR_NAME": "c",
    "GIT_AUTHOR_EMAIL": "c@example.org",
    "GIT_COMMITTER_NAME": "c",
    "GIT_COMMITTER_EMAIL": "c@example.org",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def _git(repo: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | ENV
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(ROOT / "raw", repo / "raw")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    _git(repo, "checkout", "-q", "-b", "change")
    return repo


def _folders(raw: Path) -> list[str]:
    return sorted(p.name for p in raw.iterdir() if (p / "figures.csv").is_file())


def _edit(path: Path, change) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    fields = list(rows[0])
    change(rows)
    out = io.StringIO()
    w = csv.DictWriter(out, fields, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _lines(text: str) -> list[str]:
    return text.splitlines()[:-1]  # without the count line


def _folder(line: str) -> str:
    return line.split("/", 2)[1]


def _compare(repo: Path, changed: set[str]) -> list[str]:
    raw = repo / "raw"
    full = cli("validate", "--raw", str(raw))
    inc = cli("validate", "--raw", str(raw), "--changed", "main")
    assert inc.code == full.code, inc.err
    want = [ln for ln in _lines(full.out) if _folder(ln) in changed or ln.rsplit("[", 1)[1][:-1] in CROSS]
    assert _lines(inc.out) == want
    again = cli("validate", "--raw", str(raw), "--changed", "main")  # from the cache
    assert again.out == inc.out
    return want


def _first_figure(raw: Path, folder: str) -> str:
    with (raw / folder / "figures.csv").open(encoding="utf-8", newline="") as f:
        return next(csv.DictReader(f))["figure_id"]


def _unrestated_figure(raw: Path, folder: str) -> str:
    """A figure_id of ``folder`` that no note restates (a restated figure's rows are looked up
    for the note's sake, which would hide a failure to find a value used twice)."""
    restated = set()
    for name in _folders(raw):
        restated |= set(re.findall(r"Restates (\S+?)[.,;]?(?:\s|$)", (raw / name / "figures.csv").read_text("utf-8")))
    with (raw / folder / "figures.csv").open(encoding="utf-8", newline="") as f:
        return next(r["figure_id"] for r in csv.DictReader(f) if r["figure_id"] not in restated)


def test_a_duplicate_of_an_id_in_an_unchanged_source(repo):
    raw = repo / "raw"
    names = _folders(raw)
    early, late = names[0], names[-1]
    for changed, other in ((late, early), (early, late)):  # the repeat is the later one in folder order
        theirs = _first_figure(raw, other)
        _edit(raw / changed / "figures.csv", lambda rows, t=theirs: rows[0].update(figure_id=t))
        lines = _compare(repo, {changed})
        assert any("[duplicate-id]" in ln for ln in lines)
        _git(repo, "checkout", "-q", "--", "raw")


def test_a_duplicate_between_two_unchanged_sources(repo):
    """The cache keeps the values its folders use twice: the repeat is reported from it, and again
    once a second folder changes (the cached rows of that folder are left out)."""
    raw = repo / "raw"
    names = _folders(raw)
    first, second, changed, later = names[0], names[1], names[2], names[3]
    _git(repo, "checkout", "-q", "main")
    theirs = _unrestated_figure(raw, first)
    _edit(raw / second / "figures.csv", lambda rows: rows[0].update(figure_id=theirs))
    _git(repo, "commit", "-q", "-am", "a repeated figure_id")
    _git(repo, "checkout", "-q", "change")
    _git(repo, "merge", "-q", "--ff-only", "main")
    _edit(raw / changed / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    lines = _compare(repo, {changed})
    assert [ln for ln in lines if "[duplicate-id]" in ln and _folder(ln) == second]
    _edit(raw / later / "figures.csv", lambda rows: rows[0].update(figure_id=theirs))
    lines = _compare(repo, {changed, later})
    assert [ln for ln in lines if "[duplicate-id]" in ln and _folder(ln) == later]
    assert [ln for ln in lines if "[duplicate-id]" in ln and _folder(ln) == second]


def test_an_unknown_attributed_to(repo):
    raw = repo / "raw"
    one = _folders(raw)[len(_folders(raw)) // 2]
    _edit(raw / one / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    assert any("[unknown-reference]" in ln for ln in _compare(repo, {one}))


def test_restates_of_figures_in_an_unchanged_folder(repo):
    raw = repo / "raw"
    names = _folders(raw)
    one, other = names[1], names[2]
    known = _first_figure(raw, other)

    def change(rows):
        rows[0]["note"] = f"Restates {known}."
        rows[1]["note"] = f"Restates {other}/no-such-figure."

    _edit(raw / one / "figures.csv", change)
    lines = _compare(repo, {one})
    assert [ln for ln in lines if "[restates-unknown]" in ln and f"{other}/no-such-figure" in ln]
    assert not [ln for ln in lines if f"restates {known}," in ln]


def _cited(raw: Path) -> dict[str, str]:
    """``{source: a folder whose figure is attributed to it}``."""
    cited: dict[str, str] = {}
    for name in _folders(raw):
        with (raw / name / "figures.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["attributed_to"] and row["attributed_to"] != name:
                    cited.setdefault(row["attributed_to"], name)
    return cited


def test_a_removed_source_still_referenced(repo):
    raw = repo / "raw"
    cited = _cited(raw)
    gone = sorted(cited)[0]
    shutil.rmtree(raw / gone)
    lines = _compare(repo, {gone})
    assert [ln for ln in lines if "[unknown-reference]" in ln and _folder(ln) == cited[gone]]


def test_a_damaged_cache_is_rebuilt(repo):
    raw = repo / "raw"
    one = _folders(raw)[0]
    _edit(raw / one / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    first = cli("validate", "--raw", str(raw), "--changed", "main")
    cache = Path(repo / _git(repo, "rev-parse", "--git-path", "ketamine-ssri-evidence/validate-index.arrow").strip())
    assert cache.is_file() and raw not in cache.parents
    for garbage in (b"", b"PAR1 not parquet", cache.read_bytes()[: cache.stat().st_size // 2]):
        cache.write_bytes(garbage)
        assert cli("validate", "--raw", str(raw), "--changed", "main").out == first.out
        assert cache.is_file() and cache.stat().st_size > 100  # written again, whole


def test_a_cached_source_removed_later(repo):
    """The cache holds the base state of a folder the branch then removes: the figures of unchanged
    folders that cite it are reported from the cache."""
    raw = repo / "raw"
    cited = _cited(raw)
    gone = sorted(cited)[0]
    first = next(n for n in _folders(raw) if n not in (gone, cited[gone]))
    _edit(raw / first / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    _compare(repo, {first})  # the cache now holds every other folder, gone among them
    shutil.rmtree(raw / gone)
    lines = _compare(repo, {first, gone})
    assert [ln for ln in lines if "[unknown-reference]" in ln and _folder(ln) == cited[gone]]


def test_a_restated_figure_changed_later(repo):
    """An unchanged note restates a figure of a folder cached earlier and changed since."""
    raw = repo / "raw"
    names = _folders(raw)
    noting, restated, other = names[1], names[2], names[3]
    target = _first_figure(raw, restated)
    _git(repo, "checkout", "-q", "main")
    _edit(raw / noting / "figures.csv", lambda rows: rows[-1].update(note=f"Restates {target}."))
    _git(repo, "commit", "-q", "-am", "a restating note")
    _git(repo, "checkout", "-q", "change")
    _git(repo, "merge", "-q", "--ff-only", "main")
    _edit(raw / other / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    assert not [ln for ln in _compare(repo, {other}) if "[restates-unknown]" in ln]
    _edit(raw / restated / "figures.csv", lambda rows: rows[0].update(figure_id=f"{restated}/999"))
    lines = _compare(repo, {other, restated})
    assert [ln for ln in lines if "[restates-unknown]" in ln and _folder(ln) == noting and target in ln]


def _cache(repo: Path) -> Path:
    return Path(repo / _git(repo, "rev-parse", "--git-path", "ketamine-ssri-evidence/validate-index.arrow").strip())


def _forge(cache: Path, change) -> None:
    """Write the cache again with ``change(columns)`` applied (a dict of pyarrow arrays), metadata kept."""
    import pyarrow as pa

    with pa.OSFile(str(cache)) as f:
        t = pa.ipc.open_file(f).read_all().combine_chunks()
    cols = {n: t.column(n).chunk(0) for n in t.column_names}
    change(cols)
    forged = pa.table(cols).replace_schema_metadata(t.schema.metadata)
    with pa.OSFile(str(cache), "wb") as f, pa.ipc.new_file(f, forged.schema) as w:
        w.write_table(forged)


def _repeat_a_head(cols) -> None:
    """Two codes for one head: a value used twice would count once on codes."""
    import pyarrow as pa

    heads = cols["figure_id"]
    words = heads.dictionary.to_pylist()
    codes = heads.indices.to_pylist()
    last = max(i for i, c in enumerate(codes) if c is not None)  # the repeat, in the last folder
    words.append(words[codes[last]])
    codes[last] = len(words) - 1
    cols["figure_id"] = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(words, pa.string()))


def _slash_in_a_head(cols) -> None:
    import pyarrow as pa

    heads = cols["figure_id"]
    words = [w + "/x" if i == 0 else w for i, w in enumerate(heads.dictionary.to_pylist())]
    cols["figure_id"] = pa.DictionaryArray.from_arrays(heads.indices, pa.array(words, pa.string()))


def _line_as_text(cols) -> None:
    cols["_line"] = cols["_line"].cast("string")


def _a_line_missing(cols) -> None:
    import pyarrow as pa

    lines = cols["_line"].to_pylist()
    lines[0] = None
    cols["_line"] = pa.array(lines, cols["_line"].type)


def _a_column_more(cols) -> None:
    cols["extra"] = cols["_line"]


def _repeated_on_main_then_changed(repo: Path) -> list[str]:
    """On main, the last folder repeats a figure_id of the first; on the branch a third folder
    changes. The lines of the ``--changed`` run (checked against a full run)."""
    raw = repo / "raw"
    names = _folders(raw)
    _git(repo, "checkout", "-q", "main")
    theirs = _unrestated_figure(raw, names[0])
    _edit(raw / names[-1] / "figures.csv", lambda rows: rows[-1].update(figure_id=theirs))
    _git(repo, "commit", "-q", "-am", "a repeated figure_id")
    _git(repo, "checkout", "-q", "change")
    _git(repo, "merge", "-q", "--ff-only", "main")
    _edit(raw / names[1] / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    return _compare(repo, {names[1]})


# the forgery that would hide a repeated figure_id, and a row missing a cell, in the fast tier;
# the other forgeries in the slow tier (python -m pytest --slow)
FORGERIES = [
    pytest.param(f, id=f.__name__, marks=() if f in (_repeat_a_head, _a_line_missing) else pytest.mark.slow)
    for f in (_repeat_a_head, _slash_in_a_head, _line_as_text, _a_line_missing, _a_column_more)
]


@pytest.mark.parametrize("forgery", FORGERIES)
def test_a_forged_cache_is_rebuilt(repo, forgery):
    """A cache whose dictionaries, columns or types are not what the program writes is discarded:
    the run reports what a full run reports (here a figure_id used twice by unchanged folders,
    which a dictionary holding one head twice would hide) and writes the cache again."""
    raw = repo / "raw"
    lines = _repeated_on_main_then_changed(repo)
    assert [ln for ln in lines if "[duplicate-id]" in ln]
    cache = _cache(repo)
    _forge(cache, forgery)
    forged = cache.read_bytes()
    assert _lines(cli("validate", "--raw", str(raw), "--changed", "main").out) == lines
    assert cache.is_file() and cache.read_bytes() != forged


def test_a_symlinked_cache_is_not_followed(repo, tmp_path):
    raw = repo / "raw"
    one = _folders(raw)[0]
    _edit(raw / one / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    first = cli("validate", "--raw", str(raw), "--changed", "main")
    cache = _cache(repo)
    elsewhere = tmp_path / "elsewhere.arrow"
    kept = cache.read_bytes()
    elsewhere.write_bytes(kept)
    cache.unlink()
    cache.symlink_to(elsewhere)
    assert cli("validate", "--raw", str(raw), "--changed", "main").out == first.out
    assert elsewhere.read_bytes() == kept  # the file it named is left alone
    assert cache.is_file() and not cache.is_symlink()


def test_references_resolved_in_the_cache(repo):
    """A reference names a source by its source_id, by its folder, or names a folder whose
    source.yaml is missing: each is found among the cached rows (the sources' own problems are
    their folders', not reported here)."""
    raw = repo / "raw"
    names = _folders(raw)
    by_id, by_folder, without, citing = names[2], names[3], names[5], names[4]
    _git(repo, "checkout", "-q", "main")
    for renamed in (by_id, by_folder):
        meta = raw / renamed / "source.yaml"
        text = meta.read_text("utf-8").replace(f"source_id: {renamed}\n", f"source_id: {renamed}-x\n", 1)
        meta.write_text(text, "utf-8")
    (raw / without / "source.yaml").unlink()
    _git(repo, "commit", "-q", "-am", "source_ids that are not their folders, a folder without source.yaml")
    _git(repo, "checkout", "-q", "change")
    _git(repo, "merge", "-q", "--ff-only", "main")

    def cite(rows):
        rows[0]["attributed_to"] = f"{by_id}-x"
        rows[1]["attributed_to"] = by_folder
        rows[2]["attributed_to"] = without
        rows[3]["attributed_to"] = "no-such-source-2020"  # a problem, so that both runs fail

    _edit(raw / citing / "figures.csv", cite)
    lines = _compare(repo, {citing})
    unknown = [ln for ln in lines if "[unknown-reference]" in ln and _folder(ln) == citing]
    assert unknown and all("no-such-source-2020" in ln for ln in unknown)


def test_a_fifo_in_the_caches_place(repo):
    """Something other than a file where the cache belongs is discarded, without waiting on it."""
    raw = repo / "raw"
    one = _folders(raw)[0]
    _edit(raw / one / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    first = cli("validate", "--raw", str(raw), "--changed", "main")
    cache = _cache(repo)
    cache.unlink()
    os.mkfifo(cache)
    assert cli("validate", "--raw", str(raw), "--changed", "main").out == first.out
    assert cache.is_file()


def test_the_cache_of_an_earlier_layout_is_removed(repo):
    raw = repo / "raw"
    one = _folders(raw)[0]
    _edit(raw / one / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    old = Path(repo / _git(repo, "rev-parse", "--git-path", "ketamine-ssri-evidence/validate-index.parquet").strip())
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"PAR1 an index of an earlier layout")
    first = cli("validate", "--raw", str(raw), "--changed", "main")
    assert not old.exists() and _cache(repo).is_file()
    assert _lines(first.out) == _lines(cli("validate", "--raw", str(raw), "--changed", "main").out)


def test_a_cache_in_another_row_order(repo):
    """The rows of a cache not sorted by section (each section in several runs) are looked up
    as well: the run reports the same."""
    import pyarrow as pa

    raw = repo / "raw"
    lines = _repeated_on_main_then_changed(repo)

    def shuffle(cols):
        n = len(cols["_line"])
        order = pa.array([i for k in range(3) for i in range(k, n, 3)][::-1], pa.int64())
        for name in cols:
            cols[name] = cols[name].take(order)

    _forge(_cache(repo), shuffle)
    forged = _cache(repo).read_bytes()
    assert _lines(cli("validate", "--raw", str(raw), "--changed", "main").out) == lines
    assert _cache(repo).read_bytes() == forged  # a good cache, kept


def test_the_base_moves(repo):
    """A folder changed on the base since the cache was written is read again and its new rows
    replace the old ones in the cache; the runs before and after report what a full run does."""
    raw = repo / "raw"
    names = _folders(raw)
    changed, moved, other = names[1], names[3], names[5]
    _edit(raw / changed / "figures.csv", lambda rows: rows[0].update(attributed_to="no-such-source-2020"))
    _git(repo, "commit", "-q", "-am", "a change")
    _compare(repo, {changed})
    theirs = _unrestated_figure(raw, other)
    _git(repo, "checkout", "-q", "main")
    _edit(raw / moved / "figures.csv", lambda rows: rows[-1].update(figure_id=theirs))
    _git(repo, "commit", "-q", "-am", "on the base: a figure_id used twice")
    _git(repo, "checkout", "-q", "change")
    _git(repo, "merge", "-q", "--no-edit", "main")
    lines = _compare(repo, {changed})
    assert [ln for ln in lines if "[duplicate-id]" in ln and theirs in ln]
