"""Playbook "Converting a provider into lead partner" (Register's
``rails 'copy_providers_to_lead_partners:copy[1 2, hei]'``)."""

from django.core.management.base import BaseCommand, CommandError

from providers.errors import ProviderError
from providers.services import providers_copy_to_lead_partners
from regsupport.commands import add_reason_and_actor_arguments, resolve_actor


class Command(BaseCommand):
    help = (
        "Turn providers that lost accreditation into lead partners: find or create the lead "
        "partner, mark the provider not accredited, copy its users. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--provider-ids", nargs="+", required=True, metavar="ID", help="Provider ids"
        )
        parser.add_argument(
            "--record-type", required=True, help="Lead partner record type: hei or scitt"
        )
        add_reason_and_actor_arguments(parser)

    def handle(self, *args, provider_ids, record_type, reason, actor, **options):
        actor = resolve_actor(actor)
        try:
            conversions = providers_copy_to_lead_partners(
                provider_ids=provider_ids, record_type=record_type, reason=reason, actor=actor
            )
        except ProviderError as error:
            raise CommandError(str(error)) from None
        for conversion in conversions:
            self.stdout.write(conversion.describe())
        ids = ", ".join(str(c.provider.pk) for c in conversions)
        self.stdout.write(
            f"Providers with ids {ids} and their users copied to lead partners successfully."
        )
