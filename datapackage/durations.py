"""ISO 8601 durations (``P6M``, ``PT24H``, ``P1Y2M``) to days.

Calendar units use the UCUM means: a month is 30.4375 days, a year 365.25 days.
"""

from __future__ import annotations

import re

DAYS = {"Y": 365.25, "M": 30.4375, "W": 7.0, "D": 1.0}
TIME_DAYS = {"H": 1 / 24, "M": 1 / 1440, "S": 1 / 86400}
_RX = re.compile(
    r"P(?!$)(?:([0-9]+(?:\.[0-9]+)?)Y)?(?:([0-9]+(?:\.[0-9]+)?)M)?(?:([0-9]+(?:\.[0-9]+)?)W)?(?:([0-9]+(?:\.[0-9]+)?)D)?"
    r"(?:T(?=[0-9])(?:([0-9]+(?:\.[0-9]+)?)H)?(?:([0-9]+(?:\.[0-9]+)?)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?"
)


def duration_days(text: str) -> float | None:
    """Days in an ISO 8601 duration, or ``None`` when ``text`` is not one.

    >>> duration_days("P6M"), duration_days("P2W"), duration_days("PT36H")
    (182.625, 14.0, 1.5)
    >>> duration_days("6 months") is None
    True
    """
    m = _RX.fullmatch(text)
    if not m:
        return None
    y, mo, w, d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return (
        y * DAYS["Y"]
        + mo * DAYS["M"]
        + w * DAYS["W"]
        + d
        + h * TIME_DAYS["H"]
        + mi * TIME_DAYS["M"]
        + s * TIME_DAYS["S"]
    )
