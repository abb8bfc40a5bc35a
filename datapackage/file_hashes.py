"""The sha256 of a release file's bytes, computed once while a build describes its files.

The release's descriptor, its Croissant metadata and the root descriptor each state the hash
of the same bytes: inside a function decorated with :func:`computed_once`, a file's hash is
computed the first time it is asked for and reused after.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_memo: dict[int, tuple[bytes, str]] | None = None  # id of the bytes: (the bytes, their hash)


def sha256(data: bytes) -> str:
    """The hex sha256 of ``data`` (memoised inside :func:`computed_once`; the memo holds the
    bytes, so an id is never reused while it is known)."""
    if _memo is None:
        return hashlib.sha256(data).hexdigest()
    hit = _memo.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    digest = hashlib.sha256(data).hexdigest()
    _memo[id(data)] = (data, digest)
    return digest


def computed_once(fn: F) -> F:
    """Run ``fn`` with each file's hash computed once; the memo is dropped when the outermost call returns."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        global _memo
        if _memo is not None:
            return fn(*args, **kwargs)
        _memo = {}
        try:
            return fn(*args, **kwargs)
        finally:
            _memo = None

    return wrapper  # type: ignore[return-value]
