"""Who changed what, and why: helpers over django-simple-history.

Every audited model inherits :class:`AuditedModel`, so a developer in ``manage.py shell``
records a reason the same way a service does::

    trainee.date_of_birth = date(1990, 5, 1)
    trainee.save_with_reason("Update from the trainee via DQT", actor=me)

A plain ``save()`` is still recorded, with an empty reason.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from concurrency.exceptions import RecordModifiedError
from concurrency.fields import AutoIncVersionField
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.models import DeletedObject, ModelChange, ModelDelta
from simple_history.utils import get_m2m_reverse_field_name

from .dates import readable
from .errors import ReasonRequired, StaleVersion

#: The column every versioned model has; history rows copy it, so they say which version
#: each change made.
VERSION_FIELD = "version"


# Characters that are letters or symbols to Unicode but show nothing: Hangul fillers and
# the blank Braille pattern, favourites for filling a required box with "nothing".
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Control, format (zero-width space, joiners, BOM, direction marks), unassigned, private use,
# separators: none of them shows a reader anything.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cn", "Co", "Cs", "Zs", "Zl", "Zp"})


def has_visible_characters(text: str) -> bool:
    """True when ``text`` shows a reader something: not only spaces, zero-width or other
    invisible characters."""
    return any(
        not char.isspace()
        and char not in _BLANK_LOOKALIKES
        and unicodedata.category(char) not in _INVISIBLE_CATEGORIES
        for char in text
    )


def clean_reason(reason: str | None) -> str:
    """The reason as it is kept, refused when it shows nothing to a reader (empty, spaces,
    or only zero-width characters). Every reason box and service uses this one check."""
    reason = (reason or "").strip()
    if not has_visible_characters(reason):
        raise ReasonRequired("Give a reason for this change; it is kept in the record's history.")
    return reason


@contextmanager
def audit_context(instance: models.Model, *, reason: str | None, actor: Any = None):
    """Attach a reason and an actor to ``instance`` for the saves inside the block."""
    instance._change_reason = reason  # type: ignore[attr-defined]
    if actor is not None:
        instance._history_user = actor  # type: ignore[attr-defined]
    try:
        yield instance
    finally:
        # Never let a reason leak into a later, unrelated save of the same object.
        for name in ("_change_reason", "_history_user"):
            if hasattr(instance, name):
                delattr(instance, name)


class AuditedModel(models.Model):
    # What django-simple-history adds to an audited model or reads from an instance on save
    # (its package has no type information); annotations only, nothing changes at runtime.
    history: Any  # the HistoricalRecords() manager each audited model declares
    save_without_historical_record: Callable[..., None]
    skip_history_when_saving: bool
    _change_reason: str | None
    _history_user: Any

    class Meta:
        abstract = True

    def save_with_reason(self, reason: str, *, actor: Any = None, **save_kwargs: Any) -> None:
        """Save and record ``reason`` (required) and ``actor`` on the history row."""
        with audit_context(self, reason=clean_reason(reason), actor=actor):
            self.save(**save_kwargs)

    def delete_with_reason(self, reason: str, *, actor: Any = None) -> Any:
        with audit_context(self, reason=clean_reason(reason), actor=actor):
            return self.delete()


class VersionField(AutoIncVersionField):
    """django-concurrency's counter, kept off model forms: the admin form carries the version
    it was shown at in a field of its own (``admin_tools.ReasonForm``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editable = False
        # Rows inserted with SQL (data generators, bulk loads) start at version 0 too.
        self.db_default = models.Value(0)


class VersionedModel(AuditedModel):
    """An audited model with optimistic locking (django-concurrency): every save of an
    existing row bumps ``version`` and updates only the row still at the version it was
    read at. Saving a stale copy raises :class:`StaleVersion` naming who changed what
    since, instead of silently overwriting their change (docs/decisions/0013)."""

    version = VersionField(help_text="Bumped by every save; a stale copy cannot be saved")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        read_at = self.version
        try:
            # In a savepoint: the refused update must not break the caller's transaction,
            # which still has to read the history for the message.
            with transaction.atomic():
                super().save(*args, **kwargs)
        except RecordModifiedError:
            raise StaleVersion(stale_message(self, read_at)) from None


def is_versioned(instance_or_model: Any) -> bool:
    return hasattr(instance_or_model, "_concurrencymeta")


def current_version(instance: VersionedModel, *, lock: bool = False) -> int | None:
    """The row's version in the database (None: the row is gone), locked for the rest of
    the transaction when ``lock`` is set and a transaction is open."""
    rows = type(instance)._base_manager.filter(pk=instance.pk)
    if lock and connection.in_atomic_block:
        rows = rows.select_for_update(of=("self",))
    return rows.values_list(VERSION_FIELD, flat=True).first()


def check_version(
    instance: VersionedModel, expected_version: int | None, *, lock: bool = True
) -> None:
    """Lock the row (with ``lock``) and refuse with :class:`StaleVersion` when it is no
    longer at ``expected_version`` (the version a form or a confirmation page was shown);
    None only locks."""
    if instance.pk is None:
        return
    current = current_version(instance, lock=lock)
    if expected_version is not None and current != expected_version:
        raise StaleVersion(stale_message(instance, expected_version))


def stale_message(instance: VersionedModel, read_version: int) -> str:
    """Who changed what since ``read_version``, from the history rows, for the agent whose
    copy is stale."""
    entries = timeline(instance, since_version=read_version, link=False)
    if not entries:
        return (
            f"{instance} was changed or deleted by someone else after you opened it. Nothing "
            "was saved: reload the page, then make your change again."
        )
    changes = []
    for entry in reversed(entries):
        what = "; ".join(f"{c.label}: {c.old} → {c.new}" for c in entry.changes)
        reason = f", reason: {entry.reason}" if entry.reason else ""
        changes.append(
            f"{entry.who} at {timezone.localtime(entry.when):%-d %b %Y %H:%M} "
            f"({what or entry.kind.lower()}{reason})"
        )
    return (
        f"{instance} was changed by someone else after you opened it: {'; '.join(changes)}. "
        "Nothing was saved: reload the page to see their change, then make yours again."
    )


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class TimelineEntry:
    when: Any
    who: str
    reason: str
    kind: str
    changes: list[FieldChange]


HISTORY_KINDS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def _field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        # A field since removed from the model still shows in old history rows.
        return None


def field_label(model: type[models.Model], name: str) -> str:
    """The field's verbose name as a label, keeping its capitals ("ITT start date")."""
    field = _field(model, name)
    if field is None or not hasattr(field, "verbose_name"):
        return name
    label = str(field.verbose_name)
    return label[:1].upper() + label[1:]


def field_display(model: type[models.Model], name: str, value: Any, *, link: bool = False) -> Any:
    """A field's value as the console shows it: a choice's label, a date in words, "—" for
    nothing, a related record by name (``link``: linked to its page, for HTML). Confirmation
    pages and the history both use it, so they read the same."""
    if value in (None, ""):
        return "—"
    field = _field(model, name)
    if field is None:
        return value
    if getattr(field, "choices", None):
        return dict(field.flatchoices).get(value, value)
    if field.many_to_many and isinstance(value, Iterable) and not isinstance(value, str):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, date | datetime):
        return readable(value)
    if field.is_relation and field.many_to_one:
        return _related(field.related_model, value, link=link)
    return value


def _related(model: type[models.Model], pk: Any, *, link: bool) -> Any:
    obj = model._default_manager.filter(pk=pk).first()
    if obj is None:
        return f"{model._meta.verbose_name} {pk} (deleted)"
    if not link:
        return str(obj)
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return str(obj)
    return format_html('<a href="{}">{}</a>', url, obj)


def _dict_changes(model, name: str, old: Any, new: Any) -> list[FieldChange]:
    """A JSON object's change as one line per key that changed ("Arguments: timeout after")."""
    label = field_label(model, name)
    old, new = old or {}, new or {}
    return [
        FieldChange(
            name,
            f"{label}: {key.replace('_', ' ')}",
            readable_or_dash(old.get(key)),
            readable_or_dash(new.get(key)),
        )
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def readable_or_dash(value: Any) -> Any:
    return "—" if value in (None, "") else readable(value)


def record_changes(
    record: Any, previous: Any, *, link: bool = True, delta: ModelDelta | None = None
) -> list[FieldChange]:
    """What ``record`` (a history row) changed since ``previous``, field by field, as the
    console shows it: labels, choices by name, dates in words. A change that reads the same
    either side (nothing → empty) is no change to a person, and is left out. ``delta``: the
    pair's diff when the caller has it (``history_deltas`` reads many rows' at once)."""
    changes: list[FieldChange] = []
    if previous is None or record.history_type != "~":
        return changes
    model = record.instance_type
    if delta is None:
        delta = record.diff_against(
            previous, foreign_keys_are_objs=False, excluded_fields=_unshown(record)
        )
    for change in delta.changes:
        old, new = change.old, change.new
        if isinstance(old, dict) or isinstance(new, dict):
            changes.extend(_dict_changes(model, change.field, old, new))
            continue
        if isinstance(old, list) or isinstance(new, list):
            old = _m2m_names(record, change.field, old)
            new = _m2m_names(record, change.field, new)
        shown = FieldChange(
            change.field,
            field_label(model, change.field),
            field_display(model, change.field, old, link=link),
            field_display(model, change.field, new, link=link),
        )
        if shown.old != shown.new:
            changes.append(shown)
    return changes


def actor_name(user: Any) -> str:
    """Who made a history row: a person's username, or the system (a worker, the
    scheduler, a shell or command run without an actor)."""
    return user.get_username() if user else "system / shell"


def timeline(
    instance: AuditedModel,
    *,
    limit: int | None = None,
    since_version: int | None = None,
    link: bool = True,
) -> list[TimelineEntry]:
    """Newest first: each history row with who, when, why and field-by-field old → new;
    with ``since_version``, only the changes made after that version; ``link=False`` for
    plain text (related records as names, not links)."""
    history = instance.history.select_related("history_user")
    if since_version is not None:
        history = history.filter(**{f"{VERSION_FIELD}__gte": since_version})
    records = list(history.order_by("-history_date", "-history_id"))
    if since_version is not None:
        later = [r for r in records if getattr(r, VERSION_FIELD) > since_version]
        if not later:
            return []
        # The last row at the version read is what the later changes are diffed against.
        at_read = [r for r in records if getattr(r, VERSION_FIELD) == since_version][:1]
        records, limit = later + at_read, len(later)
    if limit:
        # The oldest entry shown is diffed against the row before it.
        records = records[: limit + 1]
    deltas = history_deltas(records)
    entries = []
    for index, record in enumerate(records):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = record_changes(record, previous, link=link, delta=deltas.get(record.pk))
        entries.append(
            TimelineEntry(
                when=record.history_date,
                who=actor_name(record.history_user),
                reason=record.history_change_reason or "",
                kind=HISTORY_KINDS.get(record.history_type, record.history_type),
                changes=changes,
            )
        )
        if limit and len(entries) >= limit:
            break
    return entries


def _unshown(record: Any) -> list[str]:
    # The version changes with every save: showing it would add a line to every change.
    return [VERSION_FIELD] if is_versioned(record.instance_type) else []


def history_deltas(records: list[Any]) -> dict[Any, ModelDelta]:
    """What each history row changed against the next older row in ``records`` (newest
    first, one object's), by history id; the oldest row has none.

    simple-history's ``diff_against`` reads the many-to-many rows of both records for each
    pair: two queries a pair, 108 for a trainee with 66 history rows. Here they are read
    once for all the records, one query per many-to-many field, and the rows hold the
    related objects (a reason's name, not its id)."""
    if len(records) < 2:
        return {}
    m2m_fields = [field.name for field in records[0]._history_m2m_fields]
    m2m_rows = {name: _m2m_rows_by_record(records, name) for name in m2m_fields}
    excluded = [*m2m_fields, *_unshown(records[0])]
    deltas = {}
    for new, old in zip(records, records[1:], strict=False):
        delta = new.diff_against(old, excluded_fields=excluded, foreign_keys_are_objs=False)
        changes = list(delta.changes)
        for name, rows in m2m_rows.items():
            old_rows, new_rows = rows.get(old.pk, []), rows.get(new.pk, [])
            if old_rows != new_rows:
                changes.append(ModelChange(name, old_rows, new_rows))
        changes.sort(key=lambda change: change.field)
        deltas[new.pk] = ModelDelta(changes, [c.field for c in changes], old, new)
    return deltas


def _m2m_rows_by_record(records: list[Any], field_name: str) -> dict[Any, list[dict]]:
    """A history many-to-many field's rows for every record, as ``diff_against`` builds
    them (the through model's fields, sorted by the related object), with objects."""
    record = records[0]
    original = record.instance_type._meta.get_field(field_name)
    reverse_name = get_m2m_reverse_field_name(original)
    through = getattr(record, field_name).model
    names = [
        f.name
        for f in through._meta.fields
        if f.editable and f.name not in ("id", "m2m_history_id", "history")
    ]
    fks = [f for f in names if through._meta.get_field(f).many_to_one]
    rows: dict[Any, list[dict]] = {}
    for row in (
        through._default_manager.filter(history__in=[r.pk for r in records])
        .select_related(*fks)
        .order_by("history_id", reverse_name)
    ):
        values = {}
        for name in names:
            value = getattr(row, name, None) if name in fks else getattr(row, name)
            if value is None and name in fks:
                meta = through._meta.get_field(name)
                value = DeletedObject(meta.related_model, getattr(row, meta.attname))
            values[name] = value
        rows.setdefault(row.history_id, []).append(values)
    return rows


def _m2m_names(record: Any, field_name: str, rows: Any) -> str:
    """The related objects' names: from the rows when they hold the objects
    (``history_deltas``), else read by their ids."""
    if not rows:
        return ""
    field = record.instance_type._meta.get_field(field_name)
    target = field.related_model
    target_attr = target._meta.model_name
    values = [row.get(target_attr) for row in rows if isinstance(row, dict)]
    if all(isinstance(v, models.Model | DeletedObject) for v in values):
        return ", ".join(str(v) for v in values)
    names = target._default_manager.filter(pk__in=values).order_by("pk")
    return ", ".join(str(n) for n in names)
