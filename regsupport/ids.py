"""Numbers that come from people: search boxes, filters, URLs, command arguments, files.

Every model's id here is a PostgreSQL bigint, and every number a person types for one is
ASCII digits. ``str.isdigit`` is not the test for that: it is also true for '²' (which
``int`` refuses: a 500) and for Arabic-Indic digits such as '٣' (which ``int`` reads as 3:
another record). Check input with :func:`parse_id` or :func:`parse_number` instead.
"""

from __future__ import annotations

import re

BIGINT_MAX = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]+")


def parse_number(text: object) -> int | None:
    """The whole number ``text`` spells in ASCII digits (surrounding spaces allowed), or
    None: any other character, or a number too large for a bigint column."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if value <= BIGINT_MAX else None


def parse_id(text: object) -> int | None:
    """The record id ``text`` spells, or None (ids start at 1)."""
    value = parse_number(text)
    return value if value else None
