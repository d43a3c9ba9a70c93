"""The provider playbook fix as the console and its command offer it (``regsupport.fixes.Fix``
says what each attribute is). Registered by ``ProvidersConfig.ready``."""

from __future__ import annotations

from typing import Any

from django import forms

from regsupport.fixes import Fix, FixPlan, register

from . import services
from .models import Provider


class CopyToLeadPartnersForm(forms.Form):
    record_type = forms.ChoiceField(
        label="Lead partner record type",
        # No choice made for the agent: the first type would be taken by whoever does not look.
        choices=[
            ("", "Choose a record type"),
            *((t.value, t.label) for t in services.COPY_RECORD_TYPES),
        ],
        help_text="Used only when a lead partner is created; an existing one keeps its type.",
        error_messages={
            "invalid_choice": "'%(value)s' is not a valid record type for a former provider; "
            "use hei or scitt. Nothing was changed.",
            "required": "Choose the lead partner record type. Nothing was changed.",
        },
    )


@register
class ConvertToLeadPartner(Fix):
    name = "convert_to_lead_partner"
    model = Provider
    label = "Convert into lead partner"
    confirm_label = "Convert"
    # Offered for the providers an agent selects on the list, not on a provider's page.
    button = False
    intro = "For providers that lost accreditation. Running it again changes nothing."
    form = CopyToLeadPartnersForm
    bulk_label = "Convert selected providers into lead partners"
    bulk_title = "Convert providers into lead partners"

    def plan(self, obj: Provider, **params: Any) -> FixPlan:
        return services.provider_copy_to_lead_partner_plan(provider=obj)

    def apply(
        self, obj: Provider, *, reason: str, actor: Any, **params: Any
    ) -> services.ProviderConversion:
        return services.provider_copy_to_lead_partner(
            provider=obj, record_type=params["record_type"], reason=reason, actor=actor
        )

    def done(self, result: services.ProviderConversion, **params: Any) -> str:
        return result.describe()

    def report(self, results: list[services.ProviderConversion]) -> list[str]:
        ids = ", ".join(str(c.provider.pk) for c in results)
        return [c.describe() for c in results] + [
            f"Providers with ids {ids} and their users copied to lead partners successfully."
        ]
