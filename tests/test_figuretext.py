"""The printed-figure parser: examples from the articles and Hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from ketamine_ssri_evidence.figure_text import WORD_FRACTIONS, WORD_NUMBERS, parse

EXAMPLES = [
    ("Up to 72%", (72,), "up_to"),
    ("$3,000–$6,000", (3000, 6000), "range"),
    ("2–6 weeks", (2, 6), "range"),
    ("~50%", (50,), "approx"),
    ("30% to 47%", (30, 47), "range"),
    ("about 30% to 47%", (30, 47), "approx_range"),
    ("between 25% and 35%", (25, 35), "range"),
    ("About 15%-30%", (15, 30), "approx_range"),
    ("1.52", (1.52,), None),
    ("68.7%", (68.7,), None),
    ("two or more", (2,), "at_least"),
    ("20+ years", (20,), "at_least"),
    ("exceed 40%", (40,), "at_least"),
    ("under 10%", (10,), "at_most"),
    ("four to six weeks", (4, 6), "range"),
    ("five times", (5,), None),
    ("every week or two", (1, 2), "range"),
    ("every other week", (2,), None),
    ("an hour or more", (1,), "at_least"),
    ("by the end of the first week", (1,), None),
    ("1960s", (1960, 1969), "range"),
    ("at least 6–12 months", (6, 12), "range"),
    ("A few hours to a few days", (), None),
    ("hours to days", (), None),
    ("about a week or two", (1, 2), "approx_range"),
    ("a day or 2", (1, 2), "range"),
    ("-5 lb", (-5,), None),
    ("lost 5-10 lb", (5, 10), "range"),
    ("$-5", (-5,), None),  # a minus after the currency sign
    ("Between 20% and nearly 30%", (20, 30), "approx_range"),  # 'between' makes the range, not the join
    ("A Few times a week", (), None),  # "a week" is 1, unless "a few" stands by it
]


@pytest.mark.parametrize("text,numbers,hint", EXAMPLES)
def test_examples(text, numbers, hint):
    p = parse(text)
    assert p.numbers == tuple(float(n) for n in numbers)
    assert p.hint == hint
    assert p.qualitative == (not numbers)
    assert p.fractions == (False,) * len(numbers)  # none of these is a word fraction
    assert p.is_range == (hint in ("range", "approx_range"))


def test_only_text_is_parsed():
    with pytest.raises(TypeError, match="^text must be a str$"):
        parse(72)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text,value",
    [("half", 0.5), ("two-thirds", 2 / 3), ("a third", 1 / 3), ("more than two-thirds", 2 / 3), ("Nearly half", 0.5)],
)
def test_word_fractions(text, value):
    p = parse(text)
    assert p.numbers == (pytest.approx(value),) and p.fractions == (True,)


numbers = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False)


def _fmt(d, commas):
    s = f"{d:,.2f}" if commas else f"{d:.2f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


@given(numbers, st.booleans(), st.sampled_from(["%", "", " weeks", " sessions", " hours"]))
def test_point_round_trips(d, commas, unit):
    text = _fmt(d, commas) + unit
    p = parse(text)
    assert p.numbers == (float(d),)
    assert p.hint is None and not p.is_range


@given(numbers, numbers, st.sampled_from(["–", "-", " to ", "—"]), st.sampled_from(["%", "$"]))
def test_ranges_round_trip(a, b, joiner, sign):
    lo, hi = sorted((a, b))
    if sign == "$":
        text = f"${_fmt(lo, True)}{joiner}${_fmt(hi, True)}"
    else:
        text = f"{_fmt(lo, False)}%{joiner}{_fmt(hi, False)}%"
    p = parse(text)
    assert p.numbers == (float(lo), float(hi))
    assert p.is_range and p.hint == "range"


@given(
    numbers,
    st.sampled_from(
        [
            ("Up to ", "up_to"),
            ("up to ", "up_to"),
            ("about ", "approx"),
            ("~", "approx"),
            ("roughly ", "approx"),
            ("nearly ", "approx"),
            ("over ", "at_least"),
            ("more than ", "at_least"),
            ("less than ", "at_most"),
            ("fewer than ", "at_most"),
        ]
    ),
)
def test_hedges(d, hedge):
    word, hint = hedge
    p = parse(f"{word}{_fmt(d, False)}%")
    assert p.numbers == (float(d),) and p.hint == hint


@given(st.sampled_from(sorted(k for k, v in WORD_NUMBERS.items() if k not in ("once", "single"))))
def test_word_numbers(word):
    assert parse(f"{word} weeks").numbers == (float(WORD_NUMBERS[word]),)


@given(st.sampled_from(sorted(WORD_FRACTIONS)))
def test_every_word_fraction(word):
    p = parse(word)
    assert p.numbers == (float(WORD_FRACTIONS[word]),) and p.fractions == (True,)


@given(st.text(max_size=200))
def test_never_raises(text):
    p = parse(text)
    assert len(p.numbers) == len(p.fractions)


@given(
    st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=50).filter(
        lambda t: not any(w in t.lower() for w in list(WORD_NUMBERS) + list(WORD_FRACTIONS) + ["a ", "an "])
    )
)
def test_no_digits_no_numbers(text):
    assert parse(text).numbers == ()
