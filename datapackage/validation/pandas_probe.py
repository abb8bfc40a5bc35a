"""Answer pyarrow's question whether pandas is installed with "no", for a run that never uses it.

Job: :func:`skip_pandas_probe`. Before its first conversion of a Python value (an array, a
scalar, a table of lists), pyarrow asks once whether pandas is installed, and asking imports
pandas: a fifth of a second, more than some whole runs of ``validate`` take. The validator
hands pyarrow no pandas object, so for the command that only validates the answer may be
"no". pyarrow keeps that answer for its quick checks only: a later ``to_pandas()`` or
``from_pandas()`` imports pandas as usual. Call it only in a process that goes on to hand
pyarrow no pandas object (the ``validate`` command), never from a library function.

Reads: nothing. May import: pyarrow inside the function.
"""

from __future__ import annotations

import sys


def skip_pandas_probe() -> None:
    """Make pyarrow's first look for pandas find none (no effect once pandas is imported)."""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    refuse = _Refuse()
    sys.meta_path.insert(0, refuse)
    try:
        pa.array([0])  # the first conversion asks, once, and keeps the answer
    finally:
        sys.meta_path.remove(refuse)


class _Refuse:
    """An import finder under which ``import pandas`` fails as if it were not installed."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
