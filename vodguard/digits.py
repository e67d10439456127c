"""Numbers read from untrusted text: ASCII digits only, and few enough of them to fit a signed 64-bit integer.

``str.isdigit()`` is true for ``²`` and other Unicode digits that ``int()`` refuses, and ``int()`` refuses more
than 4,300 digits, so every digit string that comes off the wire goes through ``parse_digits`` instead.
"""

from __future__ import annotations

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_DIGITS = 18  # any 18-digit number fits in a signed 64-bit integer


def parse_digits(text: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """The value of ``text`` if it is 1 to ``max_digits`` ASCII digits, else None."""
    if not 0 < len(text) <= max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def is_int64(value: int) -> bool:
    """Whether ``value`` fits a signed 64-bit database column."""
    return INT64_MIN <= value <= INT64_MAX
