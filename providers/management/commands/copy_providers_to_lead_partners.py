"""Playbook "Converting a provider into lead partner" (Register's
``rails 'copy_providers_to_lead_partners:copy[1 2, hei]'``)."""

from providers.fixes import ConvertToLeadPartner
from regsupport.commands import FixCommand


class Command(FixCommand):
    fix = ConvertToLeadPartner()
    help = (
        "Turn providers that lost accreditation into lead partners: find or create the lead "
        "partner, mark the provider not accredited, copy its users. Safe to run twice."
    )
