"""How a declared fix (:mod:`regsupport.fixes`) appears in the console.

An admin with :class:`FixesAdminMixin` gets, for every fix registered for its model: a
button on the object's page (when the fix's ``check`` passes and the user may run it), the
URL ``<object id>/<fix slug>/`` with its confirmation page, and a list action when the fix
has a ``bulk_label``. :func:`fix_urls` gives the same pages to an app that mounts them
itself (the DQT fixes, offered by a dead job's diagnosis).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from .admin_tools import Confirmation, ConfirmForm, ObjectPlan, as_list, confirm_action
from .audit import VERSION_FIELD, check_version, is_versioned
from .errors import Refusal
from .fixes import Fix, can_run_playbook_fixes, fix_apply_to_all, fixes_for
from .ids import parse_number

REFUSED = "Only support agents and developers may run playbook fixes."


def _require(fix: Fix, request: HttpRequest) -> None:
    if not fix.allowed(request.user):
        raise PermissionDenied(REFUSED)


def confirm_form(fix: Fix) -> type[forms.Form]:
    """The confirmation page's form: the fix's own fields, then the reason."""
    if fix.form is None:
        return ConfirmForm
    order = [*fix.form.base_fields, "reason"]
    return type(f"{fix.form.__name__}WithReason", (fix.form, ConfirmForm), {"field_order": order})


def _choices(fix: Fix, data: Any, initial: dict[str, Any]) -> forms.Form | None:
    """The fix's choice form, bound when the request carries any of its fields."""
    if fix.choice_form is None:
        return None
    given = any(name in data for name in fix.choice_form.base_fields)
    return fix.choice_form(data if given else None, initial=initial)


def _form_params(form: forms.Form) -> dict[str, Any]:
    return {name: value for name, value in form.cleaned_data.items() if name != "reason"}


def posted_version(request: HttpRequest) -> int | None:
    """The version a page was shown at, from its hidden field; None when the request has
    none (a script, not a page), -1 when it is not a number (never current)."""
    if VERSION_FIELD not in request.POST:
        return None
    version = parse_number(request.POST[VERSION_FIELD])
    return -1 if version is None else version


def _change_url(obj: Any) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])


def _choose_page(model_admin, request, fix: Fix, form: forms.Form, **context: Any):
    return TemplateResponse(
        request,
        "admin/fix_choose.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            **context,
        },
    )


def fix_page(model_admin, request: HttpRequest, object_id: str, fix: Fix) -> HttpResponse:
    """The fix's page for one object: its choices if it has any, then the plan and the
    confirmation form; on confirm, the fix's ``apply``."""
    _require(fix, request)
    obj = model_admin.get_object(request, unquote(object_id))
    opts = model_admin.model._meta
    if obj is None:
        model_admin.message_user(
            request, f"No {opts.verbose_name} with id {object_id}.", messages.ERROR
        )
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    back = HttpResponseRedirect(_change_url(obj))
    # The initial values may ask DQT live: only for a page that shows them.
    initial = {} if request.POST.get("confirm") == "yes" else fix.initial(obj)
    try:
        fix.check(obj)
        choice = _choices(fix, request.GET, initial)
        if choice is not None and not choice.is_valid():
            title = fix.page_title(obj)
            return _choose_page(model_admin, request, fix, choice, title=title, original=obj)
        params = choice.cleaned_data if choice is not None else {}
        plan = fix.plan(obj, **params)
    except Refusal as error:
        model_admin.message_user(request, str(error), messages.ERROR)
        return back
    results = []

    def perform(form: forms.Form) -> str:
        given = {**params, **_form_params(form)}
        # A refusal rolls back whatever the fix had written before it refused.
        with transaction.atomic():
            if is_versioned(obj):
                # The plan the agent confirmed was made from this version: if someone changed
                # the record since, it is not the plan any more.
                check_version(obj, posted_version(request))
            result = fix.apply(obj, reason=form.cleaned_data["reason"], actor=request.user, **given)
        results.append(result)
        return fix.done(result, **given)

    response = confirm_action(
        model_admin,
        request,
        type(obj)._default_manager.filter(pk=obj.pk),
        confirmation=Confirmation(
            title=fix.page_title(obj, **params),
            intro=fix.page_intro(obj, **params),
            changes=plan.lines(),
            warnings=plan.own_notes + plan.notes,
            confirm_label=fix.confirm_label or fix.label,
            hidden={VERSION_FIELD: str(obj.version)} if is_versioned(obj) else {},
        ),
        perform=perform,
        form_class=confirm_form(fix),
        initial=initial,
    )
    if response is not None:
        return response
    following = fix.next_url(results[0]) if results else None
    return HttpResponseRedirect(following) if following else back


def fix_list_action(model_admin, request: HttpRequest, queryset, fix: Fix) -> HttpResponse | None:
    """The fix as a list action: a plan for every selected object, one confirmation, then
    :func:`fix_apply_to_all` (all of them or none)."""
    _require(fix, request)
    choice = _choices(fix, request.POST, {})
    if choice is not None and not choice.is_valid():
        return _choose_page(
            model_admin,
            request,
            fix,
            choice,
            title=fix.bulk_page_title(),
            queryset=queryset,
            action_name=request.POST.get("action"),
            selected_ids=request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            select_across=request.POST.get("select_across", "0"),
        )
    params = choice.cleaned_data if choice is not None else {}
    objects = list(queryset.order_by("pk"))
    lines: list[ObjectPlan] = []
    notes: list[str] = []
    try:
        for obj in objects:
            plan = fix.plan(obj, **params)
            lines.append(ObjectPlan(str(obj), plan.lines()))
            notes.extend(note for note in plan.notes if note not in notes)
    except Refusal as error:
        model_admin.message_user(request, f"{error} Nothing was changed.", messages.ERROR)
        return None

    def perform(form: forms.Form) -> str:
        results = fix_apply_to_all(
            fix=fix,
            objects=objects,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            **params,
            **_form_params(form),
        )
        return as_list(fix.report(results))

    return confirm_action(
        model_admin,
        request,
        queryset,
        confirmation=Confirmation(
            title=fix.bulk_page_title(**params),
            intro=fix.intro,
            objects=lines,
            warnings=notes,
            confirm_label=fix.confirm_label or fix.label,
            hidden={name: request.POST[name] for name in choice.fields} if choice else {},
        ),
        perform=perform,
        form_class=confirm_form(fix),
    )


def _serve(request: HttpRequest, object_id: str, *, site: admin.AdminSite, fix: Fix):
    return fix_page(site._registry[fix.model], request, object_id, fix)


def fix_urls(fixes: list[Fix], *, site: admin.AdminSite, prefix: str = "") -> list[URLPattern]:
    """One URL per fix, ``<prefix><object id>/<fix slug>/``, named by ``fix.url_name`` and
    served through the admin of the fix's model on ``site``."""
    return [
        path(
            f"{prefix}<path:object_id>/{fix.slug}/",
            site.admin_view(partial(_serve, site=site, fix=fix)),
            name=fix.url_name,
        )
        for fix in fixes
    ]


class FixesAdminMixin:
    """Buttons, pages and list actions for the fixes registered for this admin's model."""

    model: Any
    admin_site: admin.AdminSite
    actions: Any

    def get_fixes(self) -> list[Fix]:
        return fixes_for(self.model)

    def get_urls(self):
        return fix_urls(self.get_fixes(), site=self.admin_site) + super().get_urls()  # type: ignore[misc]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
        if obj is not None:
            extra_context["object_buttons"] = [
                *extra_context.get("object_buttons", []),
                *(
                    {"label": fix.label, "url": fix.url(obj), "css_class": fix.button_class}
                    for fix in self.get_fixes()
                    if fix.button and fix.allowed(request.user) and _offered(fix, obj)
                ),
            ]
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]

    def get_actions(self, request):
        actions = super().get_actions(request)  # type: ignore[misc]
        if self.actions is None or IS_POPUP_VAR in request.GET:
            return actions
        for fix in self.get_fixes():
            if fix.bulk_label and fix.allowed(request.user):
                name = f"{fix.name}_selected"
                actions[name] = (_list_action(fix), name, fix.bulk_label)
        return actions

    def has_run_playbook_fixes_permission(self, request) -> bool:
        """Lets ``@admin.action(permissions=["run_playbook_fixes"])`` guard an action that
        is not a declared fix."""
        return can_run_playbook_fixes(request.user)


def _offered(fix: Fix, obj: Any) -> bool:
    try:
        fix.check(obj)
    except Refusal:
        return False
    return True


def _list_action(fix: Fix):
    def action(model_admin, request, queryset):
        return fix_list_action(model_admin, request, queryset, fix)

    return action


def require_playbook_permission(request: HttpRequest) -> None:
    if not can_run_playbook_fixes(request.user):
        raise PermissionDenied(REFUSED)
