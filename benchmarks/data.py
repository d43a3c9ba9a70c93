"""Helpers shared by the benchmarks' SQL data generators."""

from __future__ import annotations

import json

from django.db import models


def column_defaults_sql(*model_classes: type[models.Model]) -> str:
    """SQL giving each NOT NULL column its model's constant default in the database.

    The generators insert a million rows with `INSERT ... SELECT`, which bypasses Django's
    Python-side defaults; without this every new NOT NULL field would break them.
    """
    statements = []
    for model in model_classes:
        table = model._meta.db_table
        for field in model._meta.concrete_fields:
            if field.null or field.primary_key:
                continue
            if field.has_default():
                default = field.default
                if callable(default) and default not in (list, dict):
                    continue  # e.g. a generated slug: the generators set those themselves
                value = field.get_default()
            elif isinstance(field, models.CharField):
                value = ""  # what Django itself saves for a blank string field
            else:
                continue
            if isinstance(field, models.JSONField):
                literal = f"'{json.dumps(value)}'::jsonb"
            elif isinstance(value, bool):
                literal = "true" if value else "false"
            elif isinstance(value, int):
                literal = str(value)
            elif isinstance(value, str):
                literal = "'" + value.replace("'", "''") + "'"
            else:
                continue
            statements.append(
                f'ALTER TABLE "{table}" ALTER COLUMN "{field.column}" SET DEFAULT {literal};'
            )
    return "\n".join(statements)
