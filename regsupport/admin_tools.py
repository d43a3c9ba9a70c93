"""Admin building blocks shared by every app.

* :class:`AuditedAdmin` – every change form and delete confirmation asks for a reason,
  which is stored with the staff user on the history row.
* :func:`confirm_action` – the one helper behind every action that needs a confirmation
  page with a required reason (playbook fixes, job retries). The action does nothing until
  the agent confirms; the service it calls does the work in one transaction.

Playbook fixes build their pages from their declarations in :mod:`regsupport.fix_admin`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from .audit import (
    actor_name,
    audit_context,
    check_version,
    clean_reason,
    has_visible_characters,
    history_deltas,
    is_versioned,
    record_changes,
    timeline,
)
from .errors import ReasonRequired, Refusal, StaleVersion
from .ids import parse_id

REASON_FIELD = "change_reason"
VERSION_FORM_FIELD = "loaded_version"
REASON_HELP = "Why is this change being made? Kept in the record's history with your name."


def form_reason(value: str | None, message: str) -> str:
    """A reason box's value through the one reason check (:func:`audit.clean_reason`)."""
    try:
        return clean_reason(value)
    except ReasonRequired:
        raise ValidationError(message) from None


class ReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for change",
        help_text=REASON_HELP,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        required=True,
        error_messages={"required": "Give a reason for this change."},
    )
    # The version the form was shown at (versioned models only): a save from a copy that
    # someone else has changed since is refused, naming who changed what.
    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and is_versioned(self.instance):
            self.fields[VERSION_FORM_FIELD].initial = self.instance.version

    def clean_change_reason(self) -> str:
        return form_reason(self.cleaned_data.get(REASON_FIELD), "Give a reason for this change.")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.instance.pk is not None and is_versioned(self.instance):
            loaded = cleaned.get(VERSION_FORM_FIELD)
            if loaded is None:
                raise ValidationError("This form has lost its version: reload the page.")
            try:
                # Locks the row for the rest of the admin's transaction, so nothing can
                # change it between this check and the save.
                check_version(self.instance, loaded)
            except StaleVersion as error:
                raise ValidationError(str(error)) from None
        return cleaned


class JSONObjectField(forms.JSONField):
    """A JSON box for a column that holds an object and is never null: left blank, it
    saves the column's default (``{}``) instead of null, which PostgreSQL refuses."""

    def __init__(self, *, empty: Callable[[], Any] = dict, **kwargs: Any) -> None:
        self.empty = empty
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        return self.empty() if result is None else result


class DiscardedFilter(admin.SimpleListFilter):
    title = "discarded"
    parameter_name = "discarded"

    def lookups(self, request, model_admin):
        return (("no", "Kept"), ("yes", "Discarded"))

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(discarded_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(discarded_at__isnull=False)
        return queryset


class AuditedAdmin(SimpleHistoryAdmin):
    """Change forms and deletes need a reason; the object page shows a change timeline."""

    form = ReasonForm
    delete_confirmation_template = "admin/audited_delete_confirmation.html"
    change_form_template = "admin/audited_change_form.html"
    object_history_list_template = "admin/audited_history_list.html"
    timeline_limit = 50

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if (
            isinstance(db_field, models.JSONField)
            and not db_field.null
            and callable(db_field.default)
        ):
            kwargs.setdefault("form_class", JSONObjectField)
            kwargs.setdefault("empty", db_field.default)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if not issubclass(form, ReasonForm):
            form = type(f"{form.__name__}WithReason", (ReasonForm, form), {})
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        stripped = []
        for name, options in fieldsets:
            fields = [
                f for f in options.get("fields", ()) if f not in (REASON_FIELD, VERSION_FORM_FIELD)
            ]
            if fields:
                stripped.append((name, {**options, "fields": fields}))
        if self.has_change_permission(request, obj) or (
            obj is None and self.has_add_permission(request)
        ):
            versioned = obj is not None and is_versioned(obj)
            fields = [REASON_FIELD, VERSION_FORM_FIELD] if versioned else [REASON_FIELD]
            stripped.append(("Reason for change", {"fields": fields}))
        return stripped

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except Refusal as error:
            # A service refused the save (e.g. a fix changed the record between the form's
            # check and the save): nothing was saved, and the agent is told why, not a 500.
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        with audit_context(obj, reason=form.cleaned_data[REASON_FIELD], actor=request.user):
            super().save_model(request, obj, form, change)
        # Many-to-many edits are saved after the object; keep the reason for their history rows.
        request._change_reason = form.cleaned_data[REASON_FIELD]

    def save_related(self, request, form, formsets, change):
        reason = getattr(request, "_change_reason", None)
        with audit_context(form.instance, reason=reason, actor=request.user):
            super().save_related(request, form, formsets, change)

    def get_actions(self, request):
        actions = super().get_actions(request)
        # "Delete selected" would delete without a reason; deletions go one by one.
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        extra_context = dict(extra_context or {})
        if request.method == "POST" and request.POST.get("post"):
            reason = (request.POST.get(REASON_FIELD) or "").strip()
            if not has_visible_characters(reason):
                extra_context["reason_error"] = "Give a reason for deleting this record."
                # Re-show the confirmation page: Django only deletes on a non-empty POST.
                request.POST = QueryDict()
            else:
                request._change_reason = reason
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        with audit_context(
            obj, reason=getattr(request, "_change_reason", None), actor=request.user
        ):
            super().delete_model(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, object_id)
        if obj is not None and hasattr(obj, "history"):
            extra_context["timeline"] = timeline(obj, limit=self.timeline_limit)
        return super().change_view(request, object_id, form_url, extra_context)

    # --- ids from the URL and the form: ASCII digits only (regsupport.ids) ------------------

    def get_object(self, request, object_id, from_field=None):
        # Django's own check lets '٣' through as 3: that is another record's page.
        if from_field is None and parse_id(unquote(object_id)) is None:
            return None
        if request.method not in ("GET", "HEAD"):
            return super().get_object(request, object_id, from_field)
        # A page asks for its object three times (the timeline, the fix buttons, the form):
        # read it once per request.
        cache = request.__dict__.setdefault("_admin_objects", {})
        key = (self.model, str(object_id), from_field)
        if key not in cache:
            cache[key] = super().get_object(request, object_id, from_field)
        return cache[key]

    def history_view(self, request, object_id, extra_context=None):
        # simple-history filters by the id as given, and a non-number is a 500.
        if parse_id(unquote(object_id)) is None:
            raise Http404(f"No {self.opts.verbose_name} with id {object_id}.")
        return super().history_view(request, object_id, extra_context)

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # The history page reads as the timeline does (regsupport.audit.record_changes);
        # the page's oldest row is compared with the row before it, on the next page.
        records = list(historical_records)
        older = records[-1].prev_record if records else None
        # simple-history's diff reads the many-to-many rows twice a row; these once a page.
        deltas = history_deltas(records + ([older] if older is not None else []))
        for index, record in enumerate(records):
            previous = records[index + 1] if index + 1 < len(records) else older
            record.console_changes = record_changes(record, previous, delta=deltas.get(record.pk))
            record.actor_name = actor_name(record.history_user)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if parse_id(unquote(object_id)) is None or parse_id(unquote(version_id)) is None:
            raise Http404(f"No {self.opts.verbose_name} with id {object_id}.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if any(parse_id(value) is None for value in selected):
            # Django filters by them as they are, and a non-number is a 500.
            self.message_user(
                request,
                "The selection has something that is not an id. Nothing was changed.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)


class ReadOnlyAdminMixin:
    """For records only the system writes (runs, sync requests, reference lists): the
    console shows them and never adds, changes or deletes one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def page_context(model_admin: admin.ModelAdmin, request: HttpRequest, title: str, **extra: Any):
    """The context every console page of a model admin starts from."""
    return {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        **extra,
    }


class ConfirmForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        help_text=REASON_HELP,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        error_messages={"required": "Give a reason."},
    )

    def clean_reason(self) -> str:
        return form_reason(self.cleaned_data.get("reason"), "Give a reason.")


@dataclass(frozen=True)
class ObjectPlan:
    """One object on a confirmation page for many, with what will change on it (a list
    under its name, not one run-on line)."""

    name: str
    changes: list[str]

    def __str__(self) -> str:
        return f"{self.name}: " + "; ".join(self.changes)


@dataclass
class Confirmation:
    """What the confirmation page shows before anything changes."""

    title: str
    intro: str = ""
    # The list filter a bulk action acts on, a line per filter ("Error status: 404").
    filters: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    objects: list[Any] = field(default_factory=list)
    confirm_label: str = "Yes, I'm sure"
    # Values the action needs again on confirm (e.g. a choice made on an earlier step).
    hidden: dict[str, str] = field(default_factory=dict)


# The admin's "Recent actions" shows the last ten; a bulk action records this many of its
# objects there (and each object's own history records the change in full).
RECENT_ACTIONS_LOGGED = 100


def _log_recent(request: HttpRequest, objects: list[models.Model], message: str) -> None:
    """Put a confirmed action in the admin's "Recent actions", as Django's own edits are."""
    from django.contrib.admin.models import CHANGE, LogEntry

    if objects and request.user.is_authenticated:
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=objects,
            action_flag=CHANGE,
            change_message=message[:500],
        )


def as_list(lines: list[str]) -> str:
    """A message of several lines as a list (one line stays a sentence)."""
    if len(lines) == 1:
        return lines[0]
    return format_html(
        "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in lines))
    )


def confirm_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: models.QuerySet,
    *,
    confirmation: Confirmation,
    perform: Callable[[forms.Form], str],
    form_class: type[forms.Form] = ConfirmForm,
    initial: dict[str, Any] | None = None,
    form_action: str | None = None,
) -> HttpResponse | None:
    """Admin action body: show a confirmation page, then call ``perform`` once confirmed.

    ``perform`` receives the bound, valid form and returns the success message; a
    :class:`Refusal` it raises is shown to the agent, and nothing has changed (services
    run in one transaction). ``form_action``: where the confirmation form posts, when that
    is not the page that showed it.
    """
    if request.POST.get("confirm") == "yes":
        form = form_class(request.POST)
        if form.is_valid():
            # Read before the action: a retried job is no longer in a list of dead ones.
            acted_on = list(queryset.order_by("pk")[:RECENT_ACTIONS_LOGGED])
            try:
                message = perform(form)
            except Refusal as error:
                modeladmin.message_user(request, str(error), messages.ERROR)
                return None
            except PermissionDenied as error:
                modeladmin.message_user(request, str(error) or "Not allowed.", messages.ERROR)
                return None
            modeladmin.message_user(request, message, messages.SUCCESS)
            _log_recent(
                request,
                acted_on,
                f"{confirmation.title.rstrip('?')}: {form.cleaned_data['reason']}",
            )
            return None
    else:
        form = form_class(initial=initial)
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": confirmation.title,
        "confirmation": confirmation,
        "form": form,
        "queryset": queryset,
        "objects": confirmation.objects or list(queryset[:50]),
        "count": len(confirmation.objects) if confirmation.objects else queryset.count(),
        "opts": opts,
        "action_name": request.POST.get("action"),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "index": request.POST.get("index", "0"),
        "media": modeladmin.media + form.media,
    }
    if form_action is not None:
        context["form_action"] = form_action
    return TemplateResponse(request, "admin/confirm_action.html", context)
