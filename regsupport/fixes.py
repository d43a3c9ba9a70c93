"""A playbook fix, declared once.

A fix is one class (in the spirit of Wagtail's ``wagtail/actions``): what it acts on, the
words its button and confirmation page use, who may run it, and three methods over its
service: ``check`` (is it offered for this object?), ``plan`` (what exactly would change)
and ``apply`` (do it, with a reason and an actor). From that declaration the console makes
the button, its URL and confirmation page and the list action
(:mod:`regsupport.fix_admin`), and :class:`regsupport.commands.FixCommand` makes a
management command. ``docs/development.md`` shows one from start to end.

Fixes are registered per model with :func:`register`, by the app that declares them (in
its ``AppConfig.ready``), so an admin shows every fix for its model without importing the
app that declared it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django import forms
from django.db import models, transaction
from django.urls import reverse

from .audit import FieldChange, clean_reason
from .errors import Refusal

RUN_PLAYBOOK_FIXES = "regsupport.run_playbook_fixes"


def can_run_playbook_fixes(user: Any) -> bool:
    return bool(user and user.is_active and user.has_perm(RUN_PLAYBOOK_FIXES))


@dataclass
class FixPlan:
    """What a fix will change (field by field, or in words), plus notes the agent must read.

    ``own_notes`` are about this one object (e.g. where a restored state came from): its
    own confirmation page shows them, a page for many objects does not."""

    changes: list[FieldChange | str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    own_notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            change if isinstance(change, str) else f"{change.label}: {change.old} → {change.new}"
            for change in self.changes
        ]


class Fix:
    """One playbook fix. Subclass it, fill in the attributes, write ``apply`` (and ``check``
    and ``plan`` when the fix has rules), and decorate the class with :func:`register`."""

    #: Python name: the URL is ``<object id>/<name with dashes>/``, the list action
    #: ``<name>_selected`` and the URL name ``<app>_<model>_<name>``.
    name: ClassVar[str]
    model: ClassVar[type[models.Model]]
    #: Every one of these permissions is needed to see or run the fix.
    permissions: ClassVar[tuple[str, ...]] = (RUN_PLAYBOOK_FIXES,)

    #: The button on the object's page, and the confirmation page's submit button unless
    #: ``confirm_label`` says otherwise.
    label: ClassVar[str]
    confirm_label: ClassVar[str] = ""
    #: Offered as a button on the object's page (when ``check`` passes); False when
    #: something else offers it (a dead job's diagnosis) or it is a list action only.
    button: ClassVar[bool] = True
    #: A CSS class for the button (``"danger"``: red, for a fix that removes something).
    button_class: ClassVar[str] = ""
    #: Confirmation page title; ``{obj}`` is the object (``"Unwithdraw {obj.full_name}"``).
    title: ClassVar[str] = ""
    intro: ClassVar[str] = ""
    #: What ``plan`` says when it is not overridden: fixed lines and warnings.
    changes: ClassVar[tuple[str, ...]] = ()
    notes: ClassVar[tuple[str, ...]] = ()

    #: Fields the plan depends on, asked on a page of their own before the plan is shown.
    choice_form: ClassVar[type[forms.Form] | None] = None
    #: Fields asked beside the reason on the confirmation page (dates, names).
    form: ClassVar[type[forms.Form] | None] = None

    #: The list action's text; empty: the fix is not offered on the list.
    bulk_label: ClassVar[str] = ""
    bulk_title: ClassVar[str] = ""
    #: The list action's message when done; ``{count}`` is how many objects.
    bulk_done: ClassVar[str] = ""

    # --- what the fix does (override) ---------------------------------------------------

    def check(self, obj: Any) -> None:
        """Raise a :class:`Refusal` when the fix is not offered for ``obj``. Runs on every
        view of the object's page, so it reads only the object."""

    def plan(self, obj: Any, **params: Any) -> FixPlan:
        """What ``apply`` would change, refusing as ``apply`` would; changes nothing."""
        self.check(obj)
        return FixPlan(changes=list(self.changes), notes=list(self.notes))

    def apply(self, obj: Any, *, reason: str, actor: Any, **params: Any) -> Any:
        """Call the service; return what the success message needs."""
        raise NotImplementedError

    def done(self, result: Any, **params: Any) -> str:
        """The success message after ``apply`` on one object."""
        return f"{self.label}: done."

    def report(self, results: list[Any]) -> list[str]:
        """What was done to many objects, a line each (a command prints one per line)."""
        return [self.bulk_done.format(count=len(results))]

    def initial(self, obj: Any) -> dict[str, Any]:
        """Values the forms start with (e.g. DQT's date of birth)."""
        return {}

    def page_title(self, obj: Any, **params: Any) -> str:
        return (self.title or f"{self.label} {{obj}}").format(obj=obj)

    def page_intro(self, obj: Any, **params: Any) -> str:
        return self.intro

    def bulk_page_title(self, **params: Any) -> str:
        return self.bulk_title or self.bulk_label

    def next_url(self, result: Any) -> str | None:
        """Where to go after the fix; None: back to the object's page."""
        return None

    # --- derived --------------------------------------------------------------------------

    @property
    def slug(self) -> str:
        return self.name.replace("_", "-")

    @property
    def url_name(self) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_{self.name}"

    def url(self, obj: Any) -> str:
        return reverse(f"admin:{self.url_name}", args=[obj.pk])

    def allowed(self, user: Any) -> bool:
        return bool(user and user.is_active and all(user.has_perm(p) for p in self.permissions))


_registry: dict[type[models.Model], dict[str, Fix]] = {}


def register(fix_class: type[Fix]) -> type[Fix]:
    """Class decorator: offer the fix wherever its model is shown."""
    _registry.setdefault(fix_class.model, {})[fix_class.name] = fix_class()
    return fix_class


def unregister(fix_class: type[Fix]) -> None:
    _registry.get(fix_class.model, {}).pop(fix_class.name, None)


def fixes_for(model: type[models.Model]) -> list[Fix]:
    """The fixes registered for ``model``, in the order they were registered."""
    return list(_registry.get(model, {}).values())


def fix_apply_to_all(
    *, fix: Fix, objects: Iterable[Any], reason: str, actor: Any, **params: Any
) -> list[Any]:
    """Apply ``fix`` to every object in one transaction: to all of them or, at the first
    refusal (which names the object), to none. The list action, the fix's command and
    the shell all use it::

        fix_apply_to_all(fix=Unwithdraw(), objects=trainees, reason="Ticket 12", actor=None)
    """
    reason = clean_reason(reason)
    results = []
    with transaction.atomic():
        for obj in objects:
            try:
                results.append(fix.apply(obj, reason=reason, actor=actor, **params))
            except Refusal as error:
                raise Refusal(f"Nothing was changed. {obj}: {error}") from error
    return results
