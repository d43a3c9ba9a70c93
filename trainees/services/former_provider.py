"""Playbook "Adding a previous trainee for a former accredited provider"."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from providers.models import LeadPartner, Provider
from regsupport.audit import audit_context, clean_reason

from ..errors import TraineeError
from ..models import Trainee
from ..signals import trainee_changed
from .base import refuse_dqt_rule_breaks


def former_provider_of(*, lead_partner: LeadPartner) -> Provider:
    """The provider a lead partner used to be, or a refusal saying why there is none."""
    provider = lead_partner.provider
    if provider is None:
        raise TraineeError(
            f"{lead_partner.name} has no provider: it was never an accredited provider, so "
            "there is no former provider to add the trainee to."
        )
    if provider.accredited:
        raise TraineeError(
            f"{provider.name} is still accredited; add the trainee to it in the normal way."
        )
    if provider.name.strip().casefold() != lead_partner.name.strip().casefold():
        raise TraineeError(
            f"The lead partner is called '{lead_partner.name}' but its provider is "
            f"'{provider.name}'; the playbook fix is only for a provider that became this "
            "same lead partner."
        )
    return provider


def trainee_create_for_former_provider(
    *,
    lead_partner: LeadPartner,
    reason: str,
    actor: Any,
    first_names: str,
    last_name: str,
    date_of_birth=None,
    email: str = "",
) -> Trainee:
    """Playbook "Adding a previous trainee for a former accredited provider": a draft."""
    reason = clean_reason(reason)
    if not (first_names or "").strip() or not (last_name or "").strip():
        raise TraineeError("Give the trainee's first and last names.")
    with transaction.atomic():
        provider = former_provider_of(lead_partner=lead_partner)
        trainee = Trainee(
            provider=provider,
            state=Trainee.State.DRAFT,
            first_names=first_names,
            last_name=last_name,
            date_of_birth=date_of_birth,
            email=email or "",
        )
        refuse_dqt_rule_breaks(trainee, fields=None)
        with audit_context(trainee, reason=reason, actor=actor):
            trainee.save()
        trainee_changed.send(
            sender=Trainee,
            trainee=trainee,
            event="create_previous_trainee",
            changed_fields={
                "provider",
                "state",
                "first_names",
                "last_name",
                *(["date_of_birth"] if date_of_birth else []),
                *(["email"] if email else []),
            },
            send_to_dqt=False,
            actor=actor,
        )
    return trainee
