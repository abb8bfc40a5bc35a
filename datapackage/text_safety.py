"""Characters a reader cannot see, and digits that only look like ASCII digits.

Contributed text is refused when it holds a character of Unicode category Cc (controls,
tab and line breaks included), Cf (format: zero-width spaces and joiners, bidirectional
embeddings, overrides and isolates, byte-order mark, soft hyphen), Zl, Zp (line and
paragraph separators), Co (private use), Cs (surrogates) or Cn (unassigned), or one of the
few visible-category characters that draw nothing (Hangul fillers, the combining grapheme
joiner, variation selectors). Ordinary spaces of category Zs (such as U+00A0 NO-BREAK
SPACE) are allowed: they are visible spacing, and sources print them.

:func:`invisible` is the exact per-value check (standard library only);
:func:`maybe_invisible` is the vectorised superset used to pre-filter a whole pyarrow column.
"""

from __future__ import annotations

import re
import unicodedata

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
# visible categories, but they draw nothing
_BLANK = "\u034f\u115f\u1160\u3164\uffa0\ufe00-\ufe0f\U000e0100-\U000e01ef"
_BLANK_RX = re.compile(f"[{_BLANK}]")
_BLANK_RE2 = "[\\x{034F}\\x{115F}\\x{1160}\\x{3164}\\x{FFA0}\\x{FE00}-\\x{FE0F}\\x{E0100}-\\x{E01EF}]"
_CONTROL_NAMES = {
    0x09: "CHARACTER TABULATION",
    0x0A: "LINE FEED",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}


def char_name(c: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``; controls and unnamed code points get a descriptive name."""
    cp = ord(c)
    name = (
        unicodedata.name(c, "")
        or _CONTROL_NAMES.get(cp)
        or {
            "Cc": "control character",
            "Co": "private-use character",
            "Cs": "surrogate",
            "Cn": "unassigned code point",
        }.get(unicodedata.category(c), "unnamed character")
    )
    return f"U+{cp:04X} {name}"


def _refused(c: str) -> bool:
    return unicodedata.category(c) in REFUSED_CATEGORIES or bool(_BLANK_RX.match(c))


def invisible(value: str) -> list[str]:
    """The distinct refused characters of ``value``, in order of appearance (empty: none)."""
    if value.isprintable() and (value.isascii() or not _BLANK_RX.search(value)):
        return []
    return list(dict.fromkeys(c for c in value if c != " " and _refused(c)))


def invisible_reason(chars: list[str]) -> str:
    names = ", ".join(char_name(c) for c in chars[:5]) + (", ..." if len(chars) > 5 else "")
    line = any(c in "\n\r\u2028\u2029\x85" for c in chars)
    hint = "; write the text on one line" if line else ""
    return (
        f"contains {names}, which a reader cannot see (invisible, control or "
        f"bidirectional character){hint}; delete it and retype the text around it"
    )


def maybe_invisible(arr):
    """A numpy bool mask over a pyarrow string array: True where :func:`invisible` may be non-empty.

    Only rows that are not printable ASCII (a control or a non-ASCII character) are looked at
    by pyarrow's Unicode-aware functions.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = []
    for c in getattr(arr, "chunks", [arr]):
        n = len(c)
        if pa.types.is_dictionary(c.type):
            c = c.cast(pa.string())
        if n == 0:
            parts.append(np.zeros(0, dtype=bool))
            continue
        odd = pc.invert(pc.fill_null(pc.ascii_is_printable(c), True))
        if not pc.any(odd).as_py():
            parts.append(np.zeros(n, dtype=bool))
            continue
        rows = np.nonzero(odd.to_numpy(zero_copy_only=False))[0]
        sub = c.take(pa.array(rows, type=pa.int64()))
        hit = pc.or_(pc.invert(pc.utf8_is_printable(sub)), pc.match_substring_regex(sub, _BLANK_RE2))
        mask = np.zeros(n, dtype=bool)
        mask[rows] = hit.to_numpy(zero_copy_only=False)
        parts.append(mask)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def lookalikes(value: str) -> str:
    """``; it contains U+0430 CYRILLIC SMALL LETTER A, ...`` for a value with characters that only
    look like plain ASCII text (empty for plain text): the tail of a message about a code or a name."""
    odd = [c for c in value if not c.isascii() or not c.isprintable()]
    if not odd:
        return ""
    names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in dict.fromkeys(odd))
    return f"; it contains {names}, which only looks like plain text"


def non_ascii_digits(value: str) -> list[str]:
    """Distinct characters that are digits to Python (``int``, ``float``, ``re`` ``\\d``) but not ASCII 0-9."""
    if value.isascii():
        return []
    return list(dict.fromkeys(c for c in value if not c.isascii() and (c.isdigit() or c.isdecimal() or c.isnumeric())))


def safe_text(text: str) -> str:
    """``text`` with refused characters and undecodable bytes of file names shown as escapes."""
    if text.isprintable() and not _BLANK_RX.search(text):
        return text
    out = []
    for c in text:
        cp = ord(c)
        if 0xDC80 <= cp <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{cp - 0xDC00:02x}")
        elif c != " " and _refused(c):
            out.append(f"\\x{cp:02x}" if cp < 0x100 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}")
        else:
            out.append(c)
    return "".join(out)
