"""A typed row of a contributed table, with where it is and which of its cells are faulty.

Job: the value the rules read (:class:`Row`), the view of it a rule may read (:class:`RuleRow`,
only the fields the rule declared), and the formatting of a value in a message.

Reads: nothing. May import: ``issues``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..issues import Issue


class UndeclaredField(KeyError):
    """A rule read a field it did not declare in ``reads`` (a bug of the rule, not of the data)."""


def fmt(v: Any) -> str:
    """A value as a message shows it: ``72`` for the number 72.0."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


@dataclass(frozen=True)
class Row:
    """One row of a contributed table as typed values (None where a cell is empty or faulty)."""

    table: str
    folder: str
    path: str
    line: int
    values: Mapping[str, Any]
    bad: frozenset[str] = frozenset()  # fields whose cell is faulty or whose column is missing
    lines: Mapping[str, int] = field(default_factory=dict)  # a field's own line (source.yaml keys)

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def line_of(self, name: str) -> int:
        return self.lines.get(name, self.line)

    def issue(self, fld: str, code: str, why: str, value: Any = None) -> Issue:
        v = self.values.get(fld) if value is None else value
        return Issue(self.path, self.line_of(fld), fld, "" if v is None else fmt(v), code, why)


class RuleRow:
    """What one rule sees of a row: the fields it declared, their values and whether they are faulty."""

    __slots__ = ("_values", "_bad", "_reads")

    def __init__(self, values: Mapping[str, Any], bad: frozenset[str], reads: frozenset[str]):
        self._values, self._bad, self._reads = values, bad, reads

    def _declared(self, name: str) -> str:
        if name not in self._reads:
            raise UndeclaredField(f"the rule reads {name!r} but does not declare it in reads=")
        return name

    def __getitem__(self, name: str) -> Any:
        return self._values.get(self._declared(name))

    def get(self, name: str) -> Any:
        return self[name]

    def bad(self, *names: str) -> bool:
        """Whether any of ``names`` is faulty (its cell was reported already, or its column is missing)."""
        return any(self._declared(n) in self._bad for n in names)
