"""Parse a figure as printed (``Up to 72%``, ``$3,000–$6,000``, ``2–6 weeks``, ``half``).

Pure functions, no I/O. The validator uses :func:`parse` to check that ``value_text``
agrees with ``value``/``low``/``high`` and ``qualifier``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["ParsedFigure", "parse", "WORD_NUMBERS", "WORD_FRACTIONS"]

WORD_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "a hundred": 100,
    "one hundred": 100,
    "a dozen": 12,
    "dozen": 12,
    "once": 1,
    "twice": 2,
    "double": 2,
    "triple": 3,
    "single": 1,
    # ordinals count too: "the first week", "the third infusion"
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "twelfth": 12,
}
_UNIT_WORDS = r"(?:hour|day|night|week|month|year|decade|session|dose|infusion|treatment|pill)"
# "a week or two", "a day or two": the idiom is a range from 1
_ONE_OR_N = re.compile(rf"\b(?:a|an|every|one)\s+{_UNIT_WORDS}\s+or\s+(two|three|2|3)\b", re.IGNORECASE)
# "every other week": an interval of 2
_EVERY_OTHER = re.compile(rf"\bevery\s+other\s+{_UNIT_WORDS}\b", re.IGNORECASE)
# "a month", "an hour or more": the article "a" is the number 1
_A_UNIT = re.compile(rf"\b(?:a|an)\s+(?:single\s+)?{_UNIT_WORDS}s?\b", re.IGNORECASE)
# Fractions of a whole; the validator compares them with value/100 when unit is %.
WORD_FRACTIONS = {
    "half": Fraction(1, 2),
    "one-half": Fraction(1, 2),
    "one half": Fraction(1, 2),
    "a third": Fraction(1, 3),
    "one-third": Fraction(1, 3),
    "one third": Fraction(1, 3),
    "two-thirds": Fraction(2, 3),
    "two thirds": Fraction(2, 3),
    "a quarter": Fraction(1, 4),
    "one-quarter": Fraction(1, 4),
    "one quarter": Fraction(1, 4),
    "three-quarters": Fraction(3, 4),
    "three quarters": Fraction(3, 4),
    "a fifth": Fraction(1, 5),
    "one-fifth": Fraction(1, 5),
    "one fifth": Fraction(1, 5),
}

_HEDGES = (
    # (qualifier hint, regex); checked in order, first match wins
    ("up_to", r"\bup\s+to\b|\bas\s+high\s+as\b|\bas\s+many\s+as\b|\bas\s+much\s+as\b"),
    (
        "at_least",
        r"\bat\s+least\b|\bmore\s+than\b|\bover\b|\bor\s+more\b|\bor\s+longer\b|\bgreater\s+than\b|\bexceeds?\b|\+(?![0-9])|≥|>",
    ),
    ("at_most", r"\bless\s+than\b|\bfewer\s+than\b|\bunder\b|\bno\s+more\s+than\b|\bat\s+most\b|\bbelow\b|≤|<"),
    (
        "approx",
        r"\babout\b|\baround\b|~|\broughly\b|\bnearly\b|\bapproximately\b|\bapprox\.?|\balmost\b|\bcirca\b|\bca\.|≈",
    ),
)
_HEDGE_RES = tuple((q, re.compile(p, re.IGNORECASE)) for q, p in _HEDGES)

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212-"
_NUM = r"(?<![\w.])[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?(?![0-9])|(?<![\w.,])[0-9]+(?:\.[0-9]+)?(?![0-9])|(?<![\w])\.[0-9]+(?![0-9])"
_DECADE = re.compile(r"(?<![\w])([0-9]{3}0)[’']?s\b")


def _word_alternation(words) -> str:
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+").replace(r"\-", "[-\u2010\u2011 ]")
        for w in sorted(words, key=len, reverse=True)
    )


_TOKEN = re.compile(
    "(?P<decade>(?<![\\w])[0-9]{3}0[’']?s\\b)"
    f"|(?P<num>{_NUM})"
    f"|(?P<frac>\\b(?:{_word_alternation(WORD_FRACTIONS)})\\b)"
    f"|(?P<word>\\b(?:{_word_alternation(WORD_NUMBERS)})\\b)",
    re.IGNORECASE,
)
_RANGE_JOIN = re.compile(rf"^\s*(?:%|\$|USD)?\s*(?:[{_DASHES}]|to|and|or|through)\s*(?:\$)?\s*$", re.IGNORECASE)


_LIST_JOIN = re.compile(r"^\s*(?:%|\+)?\s*,\s*(?:(?:or|and)\s+)?(?:even\s+)?\$?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedFigure:
    """What a printed figure says.

    ``numbers`` are the numbers in printed order, in the printed scale (72 for ``72%``,
    3000 for ``$3,000``). ``fractions`` marks which of them were word fractions
    (``half`` is 0.5 and flagged, so a percent value of 50 agrees with it).
    ``hint`` is the qualifier the wording implies, or ``None`` when it implies none.
    """

    numbers: tuple[float, ...]
    fractions: tuple[bool, ...]
    hint: str | None
    is_range: bool

    @property
    def qualitative(self) -> bool:
        return not self.numbers


def _number(tok: re.Match) -> tuple[list[float], bool]:
    kind = tok.lastgroup
    text = tok.group(kind or 0)  # every alternative of _TOKEN is a named group
    if kind == "decade":
        start = float(text[:4])  # 1990s, 1990's
        return [start, start + 9], False
    if kind == "num":
        return [float(text.replace(",", ""))], False
    key = re.sub(r"[\s\u2010\u2011-]+", " ", text.lower())
    if kind == "frac":
        for w, v in WORD_FRACTIONS.items():
            if re.sub(r"[\s-]+", " ", w) == key:
                return [float(v)], True
    for w, n in WORD_NUMBERS.items():
        if re.sub(r"[\s-]+", " ", w) == key:
            return [float(n)], False
    raise ValueError(text)  # pragma: no cover - the regex only matches known words


def _hint(text: str) -> str | None:
    for q, rx in _HEDGE_RES:
        if rx.search(text):
            return q
    return None


def parse(text: str) -> ParsedFigure:
    """Parse ``text``; never raises for any string."""
    if not isinstance(text, str):
        raise TypeError("text must be a str")
    idiom = _ONE_OR_N.search(text)
    if idiom:
        n = idiom.group(1).lower()
        high = float(WORD_NUMBERS.get(n, 0) or n)
        hint = _hint(text[: idiom.start()] + text[idiom.end() :])
        return ParsedFigure((1.0, high), (False, False), "approx_range" if hint == "approx" else "range", True)
    numbers: list[float] = []
    fractions: list[bool] = []
    spans: list[tuple[int, int]] = []
    decade = False
    for tok in _TOKEN.finditer(text):
        vals, is_frac = _number(tok)
        start = tok.start()
        if (
            tok.lastgroup == "num"
            and not spans
            and start > 0
            and text[start - 1] in "\u2212-"
            and not text[: start - 1].strip(" $")
        ):
            vals = [-v for v in vals]  # a leading minus sign: "-5 lb"
        if tok.lastgroup == "decade":
            decade = True
        numbers.extend(vals)
        fractions.extend([is_frac] * len(vals))
        spans.append(tok.span())
    is_range = (
        decade
        or (len(spans) == 2 and bool(_RANGE_JOIN.match(text[spans[0][1] : spans[1][0]])))
        or (
            # a list of examples standing for a range: "10, 20, or more years", "5, 10, and 15+ years"
            len(spans) >= 2 and all(_LIST_JOIN.match(text[a[1] : b[0]]) for a, b in zip(spans, spans[1:]))
        )
    )
    if len(spans) == 2 and re.search(r"\bbetween\b", text[: spans[0][0]], re.IGNORECASE):
        is_range = True
    if not numbers and _EVERY_OTHER.search(text):
        numbers, fractions = [2.0], [False]
    if not numbers:
        m = _A_UNIT.search(text)
        if m and not re.search(r"\bfew\b|\bcouple\b", text, re.IGNORECASE):
            numbers, fractions = [1.0], [False]
    hint = _hint(text)
    if is_range:
        # "at least 6–12 months" is still a range; the bound word belongs in a note
        hint = "approx_range" if hint == "approx" else "range"
    return ParsedFigure(tuple(numbers), tuple(fractions), hint, is_range)
