"""figure_text: a list of examples reads as a range ("5, 10 years", "3, 4, or even 5 sessions").

Two or more numbers joined only by commas (with "or", "and" or "even") stand for the range
from the first to the last; numbers joined by other words do not.
"""

from __future__ import annotations

import pytest

from ketamine_ssri_evidence.figure_text import parse


@pytest.mark.parametrize(
    "text,numbers",
    [
        ("5, 10 years", (5, 10)),
        ("5%, 10%", (5, 10)),
        ("10, or 20 years", (10, 20)),
        ("1, 2, 3 days", (1, 2, 3)),
        ("3, 4, or even 5 sessions", (3, 4, 5)),
    ],
)
def test_a_list_of_examples_is_a_range(text, numbers):
    p = parse(text)
    assert (p.numbers, p.is_range, p.hint) == (numbers, True, "range")


@pytest.mark.parametrize(
    "text,numbers,hint",
    [
        ("5 sessions in 10 weeks", (5, 10), None),
        ("5 sessions over 10 weeks", (5, 10), "at_least"),  # 'over' is a floor
        ("1, 2 and then 3 days", (1, 2, 3), None),
    ],
)
def test_numbers_joined_by_other_words_are_no_range(text, numbers, hint):
    p = parse(text)
    assert (p.numbers, p.is_range, p.hint) == (numbers, False, hint)
