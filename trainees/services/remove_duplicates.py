"""Playbook "Removing Duplicate Trainees" (Register's ``rake trainee:remove_duplicates``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from regsupport.audit import clean_reason
from regsupport.ids import parse_id

from ..errors import TraineeError
from ..models import Trainee
from .base import save_and_announce, snapshot


@dataclass(frozen=True)
class DuplicateRow:
    line: int
    trainee_id: int
    email: str


@dataclass
class DuplicateRemoval:
    dry_run: bool
    # (duplicate id, its email, id of the trainee kept)
    discarded: list[tuple[int, str, int]] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


ID_HEADERS = ("trainee_id", "id")


def parse_duplicates_csv(text: str) -> list[DuplicateRow]:
    """Validate the whole file before anything is touched; every problem is listed."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise TraineeError("The file is empty. It needs the header trainee_id,email.")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader)]
    id_column = next((h for h in ID_HEADERS if h in header), None)
    if id_column is None or "email" not in header:
        raise TraineeError(
            f"The header is '{','.join(header)}'; it must be trainee_id,email "
            "(id,email is accepted for old files)."
        )
    id_index, email_index = header.index(id_column), header.index("email")
    rows: list[DuplicateRow] = []
    errors: list[str] = []
    for line, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        raw_id = values[id_index].strip() if id_index < len(values) else ""
        email = values[email_index].strip() if email_index < len(values) else ""
        if (trainee_id := parse_id(raw_id)) is None:
            errors.append(f"Line {line}: {id_column} '{raw_id}' is not a trainee id.")
            continue
        if not email:
            errors.append(f"Line {line}: the email is blank.")
            continue
        try:
            validate_email(email)
        except ValidationError:
            errors.append(f"Line {line}: '{email}' is not an email address.")
            continue
        rows.append(DuplicateRow(line, trainee_id, email))
    if not rows and not errors:
        raise TraineeError("The file has a header but no rows.")
    errors += _cross_row_errors(rows)
    if errors:
        raise TraineeError("The file was not used; nothing changed. " + " ".join(errors))
    return rows


def _cross_row_errors(rows: list[DuplicateRow]) -> list[str]:
    errors = []
    by_id: dict[int, DuplicateRow] = {}
    by_email: dict[str, DuplicateRow] = {}
    for row in rows:
        if row.trainee_id in by_id:
            errors.append(
                f"Line {row.line}: trainee {row.trainee_id} is already on line "
                f"{by_id[row.trainee_id].line}."
            )
            continue
        by_id[row.trainee_id] = row
        key = row.email.casefold()
        if key in by_email:
            other = by_email[key]
            errors.append(
                f"Lines {other.line} and {row.line} keep different trainees "
                f"({other.trainee_id} and {row.trainee_id}) with the same email {row.email}; "
                "list one trainee to keep per email, or they would delete each other."
            )
            continue
        by_email[key] = row
    return errors


def _rows(rows: Any) -> list[DuplicateRow]:
    """Accept parsed rows, or (id, email) pairs / dicts typed in the shell."""
    result = []
    for line, row in enumerate(rows, start=2):
        if isinstance(row, DuplicateRow):
            result.append(row)
            continue
        if isinstance(row, dict):
            trainee_id = row.get("trainee_id", row.get("id"))
            email = row.get("email")
        else:
            trainee_id, email = row
        text = f"{trainee_id},{email}"
        result.extend(
            DuplicateRow(line, r.trainee_id, r.email)
            for r in parse_duplicates_csv("trainee_id,email\n" + text)
        )
    errors = _cross_row_errors(result)
    if errors:
        raise TraineeError("Nothing changed. " + " ".join(errors))
    return result


def trainees_remove_duplicates(
    *, rows: Any, reason: str, actor: Any, dry_run: bool = False
) -> DuplicateRemoval:
    """Playbook "Removing Duplicate Trainees": keep each listed trainee, soft-delete the
    other kept trainees with its email. The file is checked against the database first; a
    row whose email is not the trainee's own refuses the whole run."""
    reason = clean_reason(reason)
    rows = _rows(rows)
    result = DuplicateRemoval(dry_run=dry_run)
    with transaction.atomic():
        found = Trainee.objects.select_for_update().in_bulk([r.trainee_id for r in rows])
        errors = []
        for row in rows:
            trainee = found.get(row.trainee_id)
            if trainee is not None and trainee.email.casefold() != row.email.casefold():
                errors.append(
                    f"Line {row.line}: trainee {row.trainee_id}'s email is "
                    f"'{trainee.email or 'blank'}', not {row.email}."
                )
        if errors:
            raise TraineeError("The file was not used; nothing changed. " + " ".join(errors))
        now = timezone.now()
        for row in rows:
            kept = found.get(row.trainee_id)
            if kept is None:
                result.not_found.append(row.trainee_id)
                result.messages.append(f"Trainee with trainee_id {row.trainee_id} not found.")
                continue
            duplicates = (
                Trainee.objects.kept()
                .filter(email__iexact=kept.email)
                .exclude(email="")
                .exclude(pk=kept.pk)
                .select_for_update()
                .order_by("pk")
            )
            for duplicate in duplicates:
                result.discarded.append((duplicate.pk, duplicate.email, kept.pk))
                verb = "Would delete" if dry_run else "Deleted"
                result.messages.append(
                    f"{verb} duplicate trainee with id {duplicate.pk} and email "
                    f"{duplicate.email} (keeping trainee {kept.pk})"
                )
                if dry_run:
                    continue
                before = snapshot(duplicate)
                duplicate.discarded_at = now
                save_and_announce(
                    duplicate,
                    before=before,
                    event="discard_duplicate",
                    reason=reason,
                    actor=actor,
                    send_to_dqt=False,
                )
        if not result.discarded:
            result.messages.append("No duplicates found.")
        result.messages.append("Task completed.")
    return result
