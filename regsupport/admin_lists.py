"""Admin lists over tables of a million rows: newest first, paged by seeking, counted
with a cap.

The stock changelist counts every matching row and pages with ``OFFSET``: on a million
trainees, its first page counted the whole table and page 5,000 read and threw away
500,000 rows. :class:`SeekChangeList` instead

* orders by ``(-created_at, -id)`` and pages by seeking: "older" is the rows after the last
  one shown, ``WHERE (created_at, id) < (its created_at, its id)``, which an index on
  ``(created_at, id)`` (or on a filtered column, then those two) answers by reading one
  page of entries whatever the depth;
* counts at most ``COUNT_CAP`` rows; past that, the page gives PostgreSQL's estimate and
  says it is one;
* renders its table from ``ListColumn`` declarations in one pass (:func:`table_html`):
  Django's per-cell machinery took longer than all of the page's SQL.

Measurements: docs/decisions/0014-trainee-lists-at-a-million.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe

AFTER_VAR = "after"  # older than this row
BEFORE_VAR = "before"  # newer than this row
COUNT_CAP = 1000
ORDERING = ("-created_at", "-id")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"(-?[0-9]{1,19})\.([0-9]{1,19})")


def seek_cursor(created_at: datetime, pk: int) -> str:
    """A row's place in the list, for a URL: its created_at in microseconds, and its id
    (rows created in the same microsecond are told apart by id)."""
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{pk}"


def parse_seek_cursor(text: str | None) -> tuple[datetime, int] | None:
    match = _CURSOR.fullmatch(text or "")
    if match is None:
        return None
    try:
        created_at = _EPOCH + timedelta(microseconds=int(match[1]))
    except OverflowError:
        return None
    return created_at, int(match[2])


def older_than(queryset: QuerySet, created_at: datetime, pk: int) -> QuerySet:
    """Rows after (created_at, pk) in newest-first order. Written as ``created_at <= x AND
    NOT (created_at = x AND id >= pk)`` so the index's range condition is the first part."""
    return queryset.filter(created_at__lte=created_at).exclude(
        Q(created_at=created_at) & Q(pk__gte=pk)
    )


def newer_than(queryset: QuerySet, created_at: datetime, pk: int) -> QuerySet:
    return queryset.filter(created_at__gte=created_at).exclude(
        Q(created_at=created_at) & Q(pk__lte=pk)
    )


@dataclass(frozen=True)
class CappedCount:
    """How many rows match: exact up to the cap, else the planner's estimate."""

    exact: int | None
    estimate: int | None = None

    def describe(self, singular: str, plural: str) -> str:
        if self.exact is not None:
            return f"{number_format(self.exact, force_grouping=True)} " + (
                singular if self.exact == 1 else plural
            )
        about = ""
        if self.estimate:
            about = f", about {number_format(self.estimate, force_grouping=True)} by estimate"
        return f"more than {number_format(COUNT_CAP, force_grouping=True)} {plural}{about}"


def capped_count(queryset: QuerySet) -> CappedCount:
    """Count up to ``COUNT_CAP`` matching rows (an index scan of at most that many
    entries); past it, the planner's estimate of the rows, from the statistics ANALYZE
    keeps."""
    cap = COUNT_CAP
    found = queryset.order_by().values("pk")[: cap + 1].count()
    if found <= cap:
        return CappedCount(exact=found)
    plan = json.loads(queryset.order_by().explain(format="json"))
    return CappedCount(exact=None, estimate=int(plan[0]["Plan"]["Plan Rows"]))


class TableChangeList(ChangeList):
    """A changelist whose table is rendered by :func:`table_html` from the admin's
    ``list_columns`` (with the template ``admin/table_change_list.html``)."""

    table_html: SafeString | None = None

    def get_results(self, request):
        super().get_results(request)
        self.render_table(request)

    def render_table(self, request) -> None:
        columns = getattr(self.model_admin, "list_columns", None)
        # A popup (a raw-id lookup) needs Django's rows, which hand the choice back.
        if columns and not self.is_popup:
            opts = self.opts
            self.table_html = table_html(
                self.result_list,
                columns,
                change_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[0]),
                actions=bool(self.model_admin.get_actions(request)),
            )


class SeekChangeList(TableChangeList):
    """A changelist paged by seeking on (created_at, id), newest first, with a capped
    count. Sorting by a column is off: each sort order would need its own index."""

    cursor_after: tuple[datetime, int] | None = None
    cursor_before: tuple[datetime, int] | None = None

    def get_queryset(self, request, exclude_parameters=None):
        # The cursors are not filters; take them out before the admin reads the filters,
        # so that filter and search links start again from the newest row.
        for name in (AFTER_VAR, BEFORE_VAR):
            self.params.pop(name, None)
            self.filter_params.pop(name, None)
        self.cursor_after = parse_seek_cursor(request.GET.get(AFTER_VAR))
        self.cursor_before = parse_seek_cursor(request.GET.get(BEFORE_VAR))
        queryset = super().get_queryset(request, exclude_parameters).order_by(*ORDERING)
        # The fields the list shows, not every column of the row (a trainee has 50).
        only = getattr(self.model_admin, "list_only", None)
        return queryset.only(*only) if only else queryset

    def get_results(self, request):
        per_page = self.list_per_page
        rows, has_older, has_newer = self._page(per_page)
        if rows or not (self.cursor_after or self.cursor_before):
            self.result_list = rows
        else:
            # A cursor past either end (an old link): show the newest rows.
            self.cursor_after = self.cursor_before = None
            self.result_list, has_older, has_newer = self._page(per_page)
        first_page = not has_newer
        if first_page and not has_older:
            self.count = CappedCount(exact=len(self.result_list))
        else:
            self.count = capped_count(self.queryset)
        self.result_count = self.count.exact if self.count.exact is not None else COUNT_CAP + 1
        # Filled in so the stock templates neither count again nor offer "show all".
        self.full_result_count = self.result_count
        self.show_full_result_count = False
        self.show_admin_actions = True
        self.can_show_all = False
        self.multi_page = False
        self.paginator = None
        self.render_table(request)
        self.count_cap = number_format(COUNT_CAP, force_grouping=True)
        self.count_text = self.count.describe(
            str(self.opts.verbose_name), str(self.opts.verbose_name_plural)
        )
        # The query string without a cursor (the admin's params no longer hold one).
        self.newest_url = self.get_query_string() if has_newer else ""
        self.newer_url = self._cursor_url(BEFORE_VAR, self.result_list[0]) if has_newer else ""
        self.older_url = self._cursor_url(AFTER_VAR, self.result_list[-1]) if has_older else ""

    def _page(self, per_page: int) -> tuple[list, bool, bool]:
        """The page's rows, whether older rows follow, whether newer rows precede."""
        queryset = self.queryset
        if self.cursor_before is not None:
            newer = newer_than(queryset, *self.cursor_before).order_by("created_at", "id")
            rows = list(newer[: per_page + 1])
            has_newer = len(rows) > per_page
            rows = rows[:per_page][::-1]
            if not has_newer:
                # Reached the newest rows: show the first page as it is, not a short one.
                rows = list(queryset[: per_page + 1])
                return rows[:per_page], len(rows) > per_page, False
            return rows, True, True
        if self.cursor_after is not None:
            queryset = older_than(queryset, *self.cursor_after)
        rows = list(queryset[: per_page + 1])
        return rows[:per_page], len(rows) > per_page, self.cursor_after is not None

    def _cursor_url(self, name: str, row) -> str:
        return self.get_query_string({name: seek_cursor(row.created_at, row.pk)})


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListColumn:
    """A list column: its header and its text for a row (None shows as a dash). The first
    column links to the row's page."""

    name: str
    label: str
    text: Callable[[Any], Any]


def local_datetime(value: datetime | None) -> str | None:
    """A datetime in the console's time zone, as the timelines show it."""
    return None if value is None else f"{timezone.localtime(value):%-d %b %Y %H:%M}"


def table_html(
    rows: Iterable[Any], columns: Iterable[ListColumn], *, change_url: str, actions: bool
) -> SafeString:
    """The result table, as Django's admin marks it up (its CSS and its actions script
    apply), every text escaped with the standard library: Django's generic rendering (a
    template node, a field lookup and ``format_html`` per cell) took about 1 ms a row."""
    columns = list(columns)
    link = change_url.replace("/0/", "/{}/")
    html = ['<table id="result_list"><thead><tr>']
    if actions:
        html.append(
            '<th scope="col" class="action-checkbox-column"><div class="text"><span>'
            '<input type="checkbox" id="action-toggle" aria-label="Select all on this page">'
            '</span></div><div class="clear"></div></th>'
        )
    for column in columns:
        html.append(
            f'<th scope="col" class="column-{column.name}"><div class="text"><span>'
            f"{escape(column.label[:1].upper() + column.label[1:])}</span></div>"
            '<div class="clear"></div></th>'
        )
    html.append("</tr></thead><tbody>")
    checkbox = (
        '<td class="action-checkbox"><input type="checkbox" '
        f'name="{escape(ACTION_CHECKBOX_NAME)}" value="{{}}" class="action-select" '
        'aria-label="Select this row"></td>'
    )
    first, rest = columns[0], columns[1:]
    for row in rows:
        html.append("<tr>")
        if actions:
            html.append(checkbox.format(row.pk))
        html.append(
            f'<th class="field-{first.name}"><a href="{link.format(row.pk)}">'
            f"{_cell(first.text(row))}</a></th>"
        )
        for column in rest:
            html.append(f'<td class="field-{column.name}">{_cell(column.text(row))}</td>')
        html.append("</tr>")
    html.append("</tbody></table>")
    return mark_safe("".join(html))  # noqa: S308 - every text in it is escaped


def _cell(value: Any) -> str:
    return "—" if value is None or value == "" else escape(str(value))


class SelectListFilter(admin.SimpleListFilter):
    """A filter of hundreds of choices (providers) as one ``<select>``. The stock filter
    renders a link per choice, each with its own query string through the template engine:
    300 providers took longer than all of the page's SQL."""

    template = "admin/filter_select.html"

    def choices(self, changelist):
        hidden = "".join(
            f'<input type="hidden" name="{escape(name)}" value="{escape(str(value))}">'
            for name, value in changelist.params.items()
            if name != self.parameter_name
        )
        selected = self.value()
        name, title = escape(str(self.parameter_name)), escape(str(self.title))
        options = "".join(
            f'<option value="{escape(str(value))}"'
            + (" selected" if str(value) == selected else "")
            + f">{escape(str(label))}</option>"
            for value, label in self.lookup_choices
        )
        yield {
            "selected": selected is not None,
            "html": mark_safe(  # noqa: S308 - every text in it is escaped
                f'<form method="get" class="select-filter">{hidden}'
                f'<select name="{name}" aria-label="{title}">'
                f'<option value="">All</option>{options}</select> '
                '<input type="submit" value="Filter"></form>'
            ),
        }
