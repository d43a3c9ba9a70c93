"""The columns of the dead-jobs list and of its CSV, each declared once.

A ``Column`` says what it reads (a field path, or a function giving the ORM expression of a
derived value) and, for the list, its header, how a cell shows the value and its sort key.
``LIST_COLUMNS`` and ``CSV_COLUMNS`` put the columns in each one's order; a column in both
reads the same value for both, so the CSV says what the list shows."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from html import escape
from operator import itemgetter
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db.models import (
    Case,
    CharField,
    F,
    Func,
    IntegerField,
    JSONField,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import Cast, Coalesce, Concat, NullIf
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from regsupport.config import settings as app_settings
from regsupport.csv_safety import SafeCsvText
from trainees.models import Trainee

from . import registry
from .diagnosis import diagnose


@dataclass(frozen=True)
class RowContext:
    """What the cells of one page share: computed once per page, not once per cell."""

    job_url: str  # with {} for the job's id
    trainee_url: str  # with {} for the trainee's id
    today: date
    zone: tzinfo
    language: str


# A list cell's HTML from the column's value and its row; every text in it escaped.
Cell = Callable[[Any, "DeadJobRow", RowContext], str]


def text(empty: str = "") -> Cell:
    """A cell showing the value as text, or ``empty`` when there is none."""

    def cell(value: Any, row: DeadJobRow, context: RowContext) -> str:
        return empty if value is None or value == "" else escape(str(value))

    return cell


@dataclass(frozen=True, eq=False)
class Column:
    """One column; Django's admin takes it as a ``list_display`` entry (header, sorting)."""

    name: str  # the list's field name (its cells' class field-<name>); the CSV's header
    # A field path, or a function giving the expression (given the CSV's jobs when
    # ``of_jobs``: a value that depends on which jobs are written).
    value: str | Callable[..., Expression]
    label: str = ""  # the list's header
    csv_name: str = ""  # the CSV's header, when it is not the name
    cell: Cell = text()
    ordering: str | None = None
    of_jobs: bool = False

    def expression(self, jobs: QuerySet[Any] | None = None) -> str | Expression:
        if isinstance(self.value, str):
            return self.value
        return self.value(jobs) if self.of_jobs else self.value()

    @property
    def csv_header(self) -> str:
        return self.csv_name or self.name

    # The admin reads a list_display callable's header, sort key and CSS name from these.
    @property
    def short_description(self) -> str:
        return self.label

    @property
    def admin_order_field(self) -> str | None:
        return self.ordering

    @property
    def __name__(self) -> str:
        return self.name

    def __call__(self, row: DeadJobRow) -> Any:
        """This column's value in a list row (Django renders a list_display callable's
        cells with it; ``rows_html`` renders this list's rows faster)."""
        return getattr(row, self.name)


# --- derived values, as SQL ---------------------------------------------------------------


def _labels(field: str | Expression, labels: Iterable[tuple[Any, Any]]) -> Expression:
    """The label of the field's value, looked up in a JSON object of the labels: one
    expression however many labels (a CASE branch per label is slower to build)."""
    return Func(
        Cast(Value(json.dumps({str(value): str(label) for value, label in labels})), JSONField()),
        Cast(field, TextField()),
        template="(%(expressions)s)",
        arg_joiner=" ->> ",
        output_field=CharField(),
    )


def _job_type() -> Expression:
    labels = _labels("task_name", [(t.name, t.label) for t in registry.all_types()])
    return Coalesce(labels, "task_name")


def _trainee_state() -> Expression:
    return _labels("trainee__state", Trainee.State.choices)


def _training_route() -> Expression:
    return _labels("trainee__training_route", Trainee.TrainingRoute.choices)


def _full_name() -> Expression:
    """The names that are not blank, with one space between them."""
    parts = ("first_names", "middle_names", "last_name")
    return Func(
        Value(" "),
        *[NullIf(f"trainee__{part}", Value("")) for part in parts],
        function="CONCAT_WS",
        output_field=CharField(),
    )


def _page_url(url_name: str, id_field: str) -> Expression:
    """The admin page's full address, from the configured site address (``base_url``)."""
    base_url = str(app_settings.get("base_url")).rstrip("/")
    before, after = reverse(url_name, args=[0]).split("/0/", 1)
    return Case(
        When(**{f"{id_field}__isnull": True}, then=Value("")),
        default=Concat(
            Value(f"{base_url}{before}/"),
            Cast(id_field, TextField()),
            Value(f"/{after}"),
            output_field=TextField(),
        ),
        output_field=TextField(),
    )


def _trainee_url() -> Expression:
    return _page_url("admin:trainees_trainee_change", "trainee_id")


def _job_url() -> Expression:
    return _page_url("admin:jobs_deadjob_change", "id")


def _days_waiting_sql() -> Expression:
    """Whole days since the job was created, counted in the console's time zone as the
    list counts them."""
    zone = timezone.get_current_timezone_name()
    return RawSQL(
        '((now() AT TIME ZONE %s)::date - ("jobs_job"."created_at" AT TIME ZONE %s)::date)',
        (zone, zone),
        output_field=IntegerField(),
    )


# What the list's diagnosis reads of a job (``diagnose(row, detailed=False)``); the message
# with its numbers masked and cut short, since the diagnoses read its start and words, and
# a trainee id in it would make every job a kind of its own.
_MASKED_MESSAGE = Func(
    Func(F("error_message"), Value("[0-9]+"), Value("#"), Value("g"), function="regexp_replace"),
    Value(160),
    function="left",
    output_field=TextField(),
)
_DIAGNOSIS_FIELDS = ("task_name", "error_status", "error_code", "error_title", "error_fields")
# More kinds than this in one download: the rest get no diagnosis, rather than a query
# the size of the list.
MAX_DIAGNOSIS_KINDS = 2000


def _diagnosis_key() -> Expression:
    return Func(
        Value("|"),
        *[Coalesce(Cast(f, TextField()), Value("")) for f in _DIAGNOSIS_FIELDS],
        _MASKED_MESSAGE,
        function="CONCAT_WS",
        output_field=TextField(),
    )


def _diagnosis(jobs: QuerySet[Any]) -> Expression:
    """The list's diagnosis title for every job of the CSV, in SQL: each kind of failure in
    ``jobs`` is diagnosed once in Python, then looked up by its key, so the CSV is still one
    query written by ``COPY``."""
    kinds = (
        jobs.order_by()
        .annotate(diagnosis_key=_diagnosis_key(), masked_message=_MASKED_MESSAGE)
        .values_list("diagnosis_key", *_DIAGNOSIS_FIELDS, "masked_message")
        .distinct()[:MAX_DIAGNOSIS_KINDS]
    )
    titles = []
    for key, *values in kinds:
        job = SimpleNamespace(
            pk=None, trainee_id=None, **dict(zip(_DIAGNOSIS_FIELDS, values, strict=False))
        )
        job.error_message = values[-1]
        found = diagnose(job, detailed=False)
        titles.append((key, found.title if found else ""))
    return Coalesce(_labels(_diagnosis_key(), titles), Value(""), output_field=TextField())


# --- list cells -----------------------------------------------------------------------------


def _job_link(value: str, row: DeadJobRow, context: RowContext) -> str:
    return f'<a href="{escape(context.job_url.format(row.pk))}">{escape(value)}</a>'


def _trainee_link(value: int | None, row: DeadJobRow, context: RowContext) -> str:
    if value is None:
        return "—"
    return f'<a href="{escape(context.trainee_url.format(value))}">{value}</a>'


@functools.lru_cache(maxsize=4096)
def _date_text(value: date, language: str) -> str:
    """A date as the admin shows it, cached: ``date_format`` is slow for 100 dates a page."""
    return date_format(value)


def _date(value: date | None, row: DeadJobRow, context: RowContext) -> str:
    return "—" if value is None else escape(_date_text(value, context.language))


def _error_title(value: str, row: DeadJobRow, context: RowContext) -> str:
    html = escape(value or "—")
    diagnosis = diagnose(row, detailed=False)
    if diagnosis and not (diagnosis.title in value or value and diagnosis.title.startswith(value)):
        # The diagnosis names the problem in support's words; it shares the error's cell so
        # the list keeps every column in view.
        html += f'<div class="diagnosis-title">{escape(diagnosis.title)}</div>'
    return html


def _days_waiting(value: datetime, row: DeadJobRow, context: RowContext) -> str:
    return str((context.today - value.astimezone(context.zone).date()).days)


# --- the columns ----------------------------------------------------------------------------

JOB_TYPE = Column("job_type", _job_type, label="job type", cell=_job_link)
TRAINEE = Column(
    "trainee_link",
    "trainee_id",
    label="trainee",
    csv_name="register_id",
    cell=_trainee_link,
    ordering="trainee_id",
)
TRN = Column("trn", "trainee__trn", label="TRN", ordering="trainee__trn")
NAME = Column("name", _full_name, label="name", csv_name="full_name")
DATE_OF_BIRTH = Column("date_of_birth", "trainee__date_of_birth", label="date of birth", cell=_date)
TRAINEE_STATE = Column("trainee_state", _trainee_state, label="state", csv_name="state")
PROVIDER = Column("provider", "trainee__provider__name", label="provider", csv_name="provider_name")
ERROR_STATUS = Column("error_status", "error_status", label="error status", cell=text("—"))
ERROR_CODE = Column("error_code", "error_code", label="error code", cell=text("—"))
ERROR_TITLE = Column("error_title", "error_title", label="error title", cell=_error_title)
DAYS_WAITING = Column(
    "days_waiting_display",
    "created_at",
    label="days waiting",
    cell=_days_waiting,
    ordering="created_at",
)

LIST_COLUMNS = (
    JOB_TYPE,
    TRAINEE,
    TRN,
    NAME,
    DATE_OF_BIRTH,
    TRAINEE_STATE,
    PROVIDER,
    ERROR_STATUS,
    ERROR_CODE,
    ERROR_TITLE,
    DAYS_WAITING,
)

CSV_COLUMNS = (
    TRAINEE,
    Column("job_id", "id"),
    JOB_TYPE,
    Column("url", _trainee_url),
    Column("job_url", _job_url),
    Column("diagnosis", _diagnosis, of_jobs=True),
    Column("days_waiting", _days_waiting_sql),
    TRN,
    DATE_OF_BIRTH,
    NAME,
    Column("email", "trainee__email"),
    TRAINEE_STATE,
    PROVIDER,
    Column("provider_ukprn", "trainee__provider__ukprn"),
    Column("training_route", _training_route),
    Column("itt_start_date", "trainee__itt_start_date"),
    Column("itt_end_date", "trainee__itt_end_date"),
    Column("course_min_age", "trainee__course_min_age"),
    Column("course_max_age", "trainee__course_max_age"),
    Column("course_subject_one", "trainee__course_subject_one"),
    Column("course_subject_two", "trainee__course_subject_two"),
    Column("course_subject_three", "trainee__course_subject_three"),
    Column("error_message", "error_message"),
    ERROR_STATUS,
    ERROR_CODE,
    ERROR_TITLE,
    Column("attempts", "attempts"),
)


# --- the list's rows ------------------------------------------------------------------------

# What a row holds besides its columns' values: its id, and the job's own columns that the
# list's diagnosis (``diagnose(row, detailed=False)``) may read.
ROW_FIELDS = (
    "pk",
    "task_name",
    "trainee_id",
    "created_at",
    "error_status",
    "error_code",
    "error_title",
    "error_fields",
    "error_message",
)


def _row_layout() -> tuple[list[str | Column], dict[str, int], list[int]]:
    """What a list row reads (``ROW_FIELDS``, then each list column's value that is not one
    of them), the position of each name a row answers to, and each list column's position."""
    sources: list[str | Column] = list(ROW_FIELDS)
    positions = []
    for column in LIST_COLUMNS:
        if column.value in ROW_FIELDS:
            positions.append(ROW_FIELDS.index(column.value))
        else:
            positions.append(len(sources))
            sources.append(column)
    names = {name: i for i, name in enumerate(ROW_FIELDS)}
    names.update((c.name, i) for c, i in zip(LIST_COLUMNS, positions, strict=True))
    return sources, names, positions


_ROW_SOURCES, _ROW_NAMES, _COLUMN_POSITIONS = _row_layout()


class DeadJobRow(tuple):
    """A dead job as the list shows it: plain values, not three model instances per row
    (a job, its trainee and its provider). Its values answer to the names in ``ROW_FIELDS``
    and to its columns' names, which is what the diagnosis and the paginator read."""

    __slots__ = ()

    if TYPE_CHECKING:
        # The names are properties made from the layout below, which a checker cannot see.
        def __getattr__(self, name: str) -> Any: ...


for _name, _position in _ROW_NAMES.items():
    setattr(DeadJobRow, _name, property(itemgetter(_position)))


def dead_rows(jobs: QuerySet[Any]) -> list[DeadJobRow]:
    values = [s if isinstance(s, str) else s.expression() for s in _ROW_SOURCES]
    return [DeadJobRow(row) for row in jobs.values_list(*values)]


def rows_html(rows: Iterable[DeadJobRow]) -> SafeString:
    """The list's rows in one pass. Django's generic row rendering (a template node and a
    field lookup per cell) costs more than all the page's SQL; so does ``format_html`` per
    cell (its lazy wrappers), so cells are escaped with the standard library. The first
    column is the row's link, a ``th`` as in Django's own rows."""
    context = RowContext(
        job_url=reverse("admin:jobs_deadjob_change", args=[0]).replace("/0/", "/{}/"),
        trainee_url=reverse("admin:trainees_trainee_change", args=[0]).replace("/0/", "/{}/"),
        today=timezone.localdate(),
        zone=timezone.get_current_timezone(),
        language=get_language(),
    )
    checkbox = (
        f'<tr><td class="action-checkbox"><input type="checkbox" '
        f'name="{escape(ACTION_CHECKBOX_NAME)}" value="{{}}" class="action-select" '
        'aria-label="Select this job"></td>'
    )
    cells = [
        (f'<{tag} class="field-{column.name}">', f"</{tag}>", column.cell, position)
        for column, position, tag in zip(
            LIST_COLUMNS,
            _COLUMN_POSITIONS,
            ["th"] + ["td"] * (len(LIST_COLUMNS) - 1),
            strict=True,
        )
    ]
    html = []
    for row in rows:
        html.append(checkbox.format(row.pk))
        for opening, closing, cell, position in cells:
            html.append(opening + cell(row[position], row, context) + closing)
        html.append("</tr>")
    return mark_safe("".join(html))  # noqa: S308 - every cell escapes its text


def csv_header() -> bytes:
    """The CSV's first line; the names need no quoting."""
    return (",".join(c.csv_header for c in CSV_COLUMNS) + "\n").encode()


def csv_values(jobs: QuerySet[Any]) -> QuerySet[Any]:
    """The CSV's rows as one query, its columns in ``CSV_COLUMNS`` order, each text cell safe
    to open in a spreadsheet (``regsupport.csv_safety``): whatever a column declares, its
    value is checked if it is text, so a new column is covered too."""
    return jobs.values_list(*[SafeCsvText(_as_expression(c.expression(jobs))) for c in CSV_COLUMNS])


def _as_expression(value: str | Expression) -> F | Expression:
    return F(value) if isinstance(value, str) else value
