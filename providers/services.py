"""Provider playbook fixes, written once and called from the admin, the command and the shell.

Same conventions as ``trainees.services``: keyword-only arguments, a required reason, the
acting staff user (None from the shell), one transaction, history rows carrying both, and
:class:`~providers.errors.ProviderError` (a ``Refusal``) with a message for a support agent
on refusal (nothing changed then). The console's declaration is ``providers/fixes.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from regsupport.audit import audit_context, check_version, clean_reason
from regsupport.fixes import FixPlan
from regsupport.ids import parse_id

from .errors import ProviderError
from .models import LeadPartner, LeadPartnerUser, Provider, User

COPY_RECORD_TYPES = (LeadPartner.RecordType.HEI, LeadPartner.RecordType.SCITT)


@dataclass
class ProviderConversion:
    provider: Provider
    lead_partner: LeadPartner
    lead_partner_created: bool = False
    accreditation_removed: bool = False
    users_added: list[User] = field(default_factory=list)
    users_removed: list[User] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.lead_partner_created
            or self.accreditation_removed
            or self.users_added
            or self.users_removed
        )

    def describe(self) -> str:
        if not self.changed:
            return f"{self.provider.name}: already a lead partner; nothing changed."
        parts = [
            f"lead partner '{self.lead_partner.name}' "
            + ("created" if self.lead_partner_created else "already existed")
        ]
        if self.accreditation_removed:
            parts.append("provider marked not accredited")
        if self.users_added:
            parts.append(f"{len(self.users_added)} user(s) added")
        if self.users_removed:
            parts.append(f"{len(self.users_removed)} user(s) no longer at the provider removed")
        return f"{self.provider.name}: " + ", ".join(parts) + "."


def _record_type(record_type: Any) -> str:
    value = str(record_type or "").strip().lower()
    if value not in COPY_RECORD_TYPES:
        raise ProviderError(
            f"'{record_type}' is not a valid record type for a former provider; use hei or "
            "scitt. Nothing was changed."
        )
    return value


def _provider_ids(provider_ids: Any) -> list[int]:
    ids: list[int] = []
    bad = []
    for value in provider_ids or []:
        if (provider_id := parse_id(str(value).strip().strip(","))) is not None:
            ids.append(provider_id)
        else:
            bad.append(str(value))
    if bad:
        raise ProviderError(f"Not provider ids: {', '.join(bad)}. Nothing was changed.")
    if not ids:
        raise ProviderError("Give at least one provider id.")
    return list(dict.fromkeys(ids))


def providers_copy_to_lead_partners_plan(*, provider_ids: Any, record_type: Any) -> list[Provider]:
    """Validate everything that can be checked without writing; return the providers."""
    _record_type(record_type)
    ids = _provider_ids(provider_ids)
    providers = Provider.objects.in_bulk(ids)
    unknown = [str(i) for i in ids if i not in providers]
    if unknown:
        raise ProviderError(
            f"No provider with id {', '.join(unknown)}. Check the ids; nothing was changed."
        )
    return [providers[i] for i in ids]


def _lead_partner_for(provider: Provider, record_type: str, reason: str, actor: Any):
    existing = LeadPartner.objects.filter(ukprn=provider.ukprn, provider=provider).first()
    if existing is not None:
        return existing, False
    linked = LeadPartner.objects.filter(provider=provider).first()
    if linked is not None:
        raise ProviderError(
            f"{provider.name} is already linked to lead partner '{linked.name}' with UKPRN "
            f"{linked.ukprn or 'blank'}, not the provider's UKPRN {provider.ukprn}. Correct "
            "one of the UKPRNs first; nothing was changed."
        )
    lead_partner = LeadPartner(
        name=provider.name, record_type=record_type, ukprn=provider.ukprn, provider=provider
    )
    try:
        lead_partner.full_clean()
    except ValidationError as error:
        raise ProviderError(
            f"Cannot create a lead partner for {provider.name}: {' '.join(error.messages)} "
            "Nothing was changed."
        ) from None
    with audit_context(lead_partner, reason=reason, actor=actor):
        lead_partner.save()
    return lead_partner, True


def provider_copy_to_lead_partner_plan(*, provider: Provider) -> FixPlan:
    existing = LeadPartner.objects.filter(provider=provider).first()
    return FixPlan(
        changes=[
            f"uses existing lead partner '{existing.name}'"
            if existing
            else f"new lead partner '{provider.name}' (UKPRN {provider.ukprn})",
            "marked not accredited" if provider.accredited else "already not accredited",
            f"its {provider.users.count()} user(s) become the lead partner's users",
        ],
        notes=[
            "The providers, their users and their trainees stay as they are; lead partner "
            "users no longer at the provider are removed from the lead partner."
        ],
    )


def provider_copy_to_lead_partner(
    *,
    provider: Provider,
    record_type: Any,
    reason: str,
    actor: Any,
    expected_version: int | None = None,
) -> ProviderConversion:
    """Playbook "Converting a provider into lead partner" (register-domain.md §4.3).

    Find or create the lead partner by (UKPRN, provider), mark the provider not
    accredited, and make the lead partner's users exactly the provider's users. An
    existing lead partner is neither renamed nor retyped, so a second run changes nothing.
    Refused when the provider changed after ``expected_version`` (if given).
    """
    reason = clean_reason(reason)
    record_type = _record_type(record_type)
    with transaction.atomic():
        check_version(provider, expected_version)
        provider.refresh_from_db()
        lead_partner, created = _lead_partner_for(provider, record_type, reason, actor)
        conversion = ProviderConversion(provider, lead_partner, lead_partner_created=created)
        if provider.accredited:
            provider.accredited = False
            provider.save_with_reason(reason, actor=actor)
            conversion.accreditation_removed = True
        provider_users = {u.pk: u for u in provider.users.all()}
        links = {
            link.user_id: link
            for link in LeadPartnerUser.objects.filter(lead_partner=lead_partner)
            .select_related("user")
            .order_by("pk")
        }
        for user_id, user in provider_users.items():
            if user_id not in links:
                link = LeadPartnerUser(lead_partner=lead_partner, user=user)
                link.save_with_reason(reason, actor=actor)
                conversion.users_added.append(user)
        for user_id, link in links.items():
            if user_id not in provider_users:
                link.delete_with_reason(reason, actor=actor)
                conversion.users_removed.append(link.user)
    return conversion


def providers_copy_to_lead_partners(
    *, provider_ids: Any, record_type: Any, reason: str, actor: Any
) -> list[ProviderConversion]:
    """The conversion for several providers by id, all in one transaction (the shell's
    door; every id is checked before anything changes)."""
    reason = clean_reason(reason)
    with transaction.atomic():
        providers = providers_copy_to_lead_partners_plan(
            provider_ids=provider_ids, record_type=record_type
        )
        return [
            provider_copy_to_lead_partner(
                provider=provider, record_type=record_type, reason=reason, actor=actor
            )
            for provider in providers
        ]
