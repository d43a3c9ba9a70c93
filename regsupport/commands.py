"""What every management command that changes records shares.

``--reason`` is stored on every history row the command writes. ``--actor`` names the
staff user (their console username) who ran it, checked before anything runs; without it
the history shows the change as made from the shell, as any ``manage.py shell`` change
is. A :class:`~regsupport.errors.Refusal` is printed and the command exits with status 1,
having changed nothing; a usage error exits with status 2, as every Django command does.
"""

from __future__ import annotations

import argparse
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from .errors import Refusal
from .fixes import Fix, fix_apply_to_all
from .ids import parse_id


def resolve_actor(username: str | None):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None or not user.is_staff:
        raise CommandError(f"No active staff user with username '{username}'.")
    return user


class PlaybookCommand(BaseCommand):
    """A command with ``--reason`` and ``--actor``; ``handle`` receives the actor as a user
    (or None). Set ``reason_required = False`` for a command that also only reads."""

    reason_required = True

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--reason",
            required=self.reason_required,
            help="Why this change is being made (e.g. the ticket). Kept in the records' history.",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            default=None,
            help="Console username of the staff member making the change, recorded in the "
            "history. Default: none, recorded as shell.",
        )
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        options["actor"] = resolve_actor(options.get("actor"))
        try:
            return super().execute(*args, **options)
        except Refusal as error:
            raise CommandError(str(error)) from None


def _object_id(text: str) -> int:
    # "12, 34" as typed in the old rake tasks' argument lists.
    if (object_id := parse_id(text.strip().rstrip(","))) is None:
        raise argparse.ArgumentTypeError(f"'{text}' is not an id (digits 0-9).")
    return object_id


def _fields(fix: Fix) -> dict[str, forms.Field]:
    return {
        name: field
        for form in (fix.choice_form, fix.form)
        if form is not None
        for name, field in form.base_fields.items()
    }


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


class FixCommand(PlaybookCommand):
    """A command made from a fix: ``--<model>-ids`` and an option per field of the fix's
    forms, applied with :func:`fix_apply_to_all` (every object or none)::

        class Command(FixCommand):
            fix = Unwithdraw()
            help = "Unwithdraw trainees withdrawn in error."
    """

    fix: Fix

    def add_arguments(self, parser: CommandParser) -> None:
        opts = self.fix.model._meta
        parser.add_argument(
            f"--{opts.model_name}-ids",
            dest="ids",
            nargs="+",
            required=True,
            type=_object_id,
            metavar="ID",
            help=f"ids of the {opts.verbose_name_plural}",
        )
        for name, field in _fields(self.fix).items():
            parser.add_argument(
                _option(name), dest=name, required=field.required, help=str(field.label or name)
            )

    def handle(self, *args: Any, ids: list[int], reason: str, actor: Any, **options: Any) -> None:
        ids = list(dict.fromkeys(ids))
        params = {}
        for name, field in _fields(self.fix).items():
            try:
                params[name] = field.clean(options[name])
            except ValidationError as error:
                raise CommandError(f"{_option(name)}: {' '.join(error.messages)}") from None
        found = self.fix.model._default_manager.in_bulk(ids)
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise Refusal(
                f"No {self.fix.model._meta.verbose_name} with id {', '.join(missing)}. "
                "Check the ids; nothing was changed."
            )
        results = fix_apply_to_all(
            fix=self.fix, objects=[found[i] for i in ids], reason=reason, actor=actor, **params
        )
        for line in self.fix.report(results):
            self.stdout.write(line)
