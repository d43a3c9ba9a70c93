from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse

from regsupport.admin_tools import (
    AuditedAdmin,
    Confirmation,
    ConfirmForm,
    DiscardedFilter,
    confirm_action,
)
from trainees.errors import TraineeError
from trainees.permissions import (
    PlaybookFixesAdminMixin,
    can_run_playbook_fixes,
    require_playbook_permission,
)
from trainees.services import former_provider_of, trainee_create_for_former_provider

from . import services
from .errors import ProviderError
from .models import LeadPartner, LeadPartnerUser, Provider, ProviderUser, User


class CopyToLeadPartnersForm(ConfirmForm):
    record_type = forms.ChoiceField(
        label="Lead partner record type",
        choices=[(t.value, t.label) for t in services.COPY_RECORD_TYPES],
        help_text="Used only when a lead partner is created; an existing one keeps its type.",
    )
    field_order = ["record_type", "reason"]


class PreviousTraineeForm(ConfirmForm):
    first_names = forms.CharField(max_length=255)
    last_name = forms.CharField(max_length=255)
    date_of_birth = forms.DateField(required=False, help_text="YYYY-MM-DD")
    email = forms.EmailField(required=False)
    field_order = ["first_names", "last_name", "date_of_birth", "email", "reason"]


class ProviderUserInline(admin.TabularInline):
    # LeadPartnerUserInline shows the other membership table the same way.
    model: type[ProviderUser] | type[LeadPartnerUser] = ProviderUser
    extra = 0
    autocomplete_fields = ["user"]
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


class LeadPartnerUserInline(ProviderUserInline):
    model = LeadPartnerUser


@admin.register(Provider)
class ProviderAdmin(PlaybookFixesAdminMixin, AuditedAdmin):
    list_display = [
        "name",
        "code",
        "ukprn",
        "accreditation_id",
        "accredited",
        "apply_sync_enabled",
        "discarded_at",
    ]
    list_filter = ["accredited", "apply_sync_enabled", DiscardedFilter]
    search_fields = ["name", "=code", "=ukprn", "=accreditation_id"]
    inlines = [ProviderUserInline]
    actions = ["copy_to_lead_partners"]

    @admin.action(
        description="Convert selected providers into lead partners",
        permissions=["run_playbook_fixes"],
    )
    def copy_to_lead_partners(self, request, queryset):
        require_playbook_permission(request)
        providers = list(queryset.prefetch_related("users").select_related("lead_partner"))
        lines = []
        for provider in providers:
            existing = getattr(provider, "lead_partner", None)
            lines.append(
                f"{provider}: "
                + (
                    f"uses existing lead partner '{existing.name}'"
                    if existing
                    else f"new lead partner '{provider.name}' (UKPRN {provider.ukprn})"
                )
                + ("; marked not accredited" if provider.accredited else "; already not accredited")
                + f"; its {len(provider.users.all())} user(s) become the lead partner's users"
            )

        def perform(form):
            conversions = services.providers_copy_to_lead_partners(
                provider_ids=[p.pk for p in providers],
                record_type=form.cleaned_data["record_type"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
            return " ".join(c.describe() for c in conversions)

        return confirm_action(
            self,
            request,
            queryset,
            confirmation=Confirmation(
                title="Convert providers into lead partners",
                intro="For providers that lost accreditation. Running it again changes nothing.",
                objects=lines,
                warnings=[
                    "The providers, their users and their trainees stay as they are; lead "
                    "partner users no longer at the provider are removed from the lead partner."
                ],
                confirm_label="Convert",
            ),
            perform=perform,
            form_class=CopyToLeadPartnersForm,
            error_types=(ProviderError,),
        )


@admin.register(LeadPartner)
class LeadPartnerAdmin(AuditedAdmin):
    list_display = ["name", "record_type", "ukprn", "urn", "provider", "discarded_at"]
    list_filter = ["record_type", DiscardedFilter]
    search_fields = ["name", "=ukprn", "=urn"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider"]
    inlines = [LeadPartnerUserInline]

    def get_urls(self):
        return [
            path(
                "<path:object_id>/add-previous-trainee/",
                self.admin_site.admin_view(self.add_previous_trainee_view),
                name="providers_leadpartner_add_previous_trainee",
            )
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        lead_partner = self.get_object(request, object_id)
        if lead_partner is not None and can_run_playbook_fixes(request.user):
            try:
                former_provider_of(lead_partner=lead_partner)
            except TraineeError:
                pass
            else:
                extra_context["object_buttons"] = [
                    {
                        "label": "Add previous trainee",
                        "url": reverse(
                            "admin:providers_leadpartner_add_previous_trainee",
                            args=[lead_partner.pk],
                        ),
                    }
                ]
        return super().change_view(request, object_id, form_url, extra_context)

    def add_previous_trainee_view(self, request, object_id):
        require_playbook_permission(request)
        lead_partner = self.get_object(request, object_id)
        if lead_partner is None:
            self.message_user(request, f"No lead partner with id {object_id}.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:providers_leadpartner_changelist"))
        back = HttpResponseRedirect(
            reverse("admin:providers_leadpartner_change", args=[lead_partner.pk])
        )
        try:
            provider = former_provider_of(lead_partner=lead_partner)
        except TraineeError as error:
            self.message_user(request, str(error), messages.ERROR)
            return back
        created = []

        def perform(form):
            data = form.cleaned_data
            trainee = trainee_create_for_former_provider(
                lead_partner=lead_partner,
                reason=data["reason"],
                actor=request.user,
                first_names=data["first_names"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                email=data["email"],
            )
            created.append(trainee)
            return (
                f"Draft trainee {trainee.full_name} created for {provider.name}. Ask the "
                "provider to check the details and dates."
            )

        response = confirm_action(
            self,
            request,
            LeadPartner.objects.filter(pk=lead_partner.pk),
            confirmation=Confirmation(
                title=f"Add a previous trainee for {provider.name}",
                intro=f"{provider.name} is no longer accredited and is now this lead partner.",
                changes=[
                    f"A new draft trainee is created with provider {provider} (not accredited).",
                    "Nothing is sent to DQT for a draft.",
                ],
                warnings=[
                    "Liaise with the provider to make sure the details and dates are correct; "
                    "the record may need overseeing from draft to awarded."
                ],
                confirm_label="Create draft trainee",
            ),
            perform=perform,
            form_class=PreviousTraineeForm,
            error_types=(TraineeError,),
        )
        if response is not None:
            return response
        if created:
            return HttpResponseRedirect(
                reverse("admin:trainees_trainee_change", args=[created[0].pk])
            )
        return back


@admin.register(User)
class UserAdmin(AuditedAdmin):
    list_display = ["email", "first_name", "last_name", "discarded_at"]
    list_filter = [DiscardedFilter]
    search_fields = ["email", "first_name", "last_name"]


@admin.register(ProviderUser)
class ProviderUserAdmin(AuditedAdmin):
    list_display = ["user", "provider", "created_at"]
    list_select_related = ["user", "provider"]
    search_fields = ["user__email", "provider__name"]
    autocomplete_fields = ["user", "provider"]


@admin.register(LeadPartnerUser)
class LeadPartnerUserAdmin(AuditedAdmin):
    list_display = ["user", "lead_partner", "created_at"]
    list_select_related = ["user", "lead_partner"]
    search_fields = ["user__email", "lead_partner__name"]
    autocomplete_fields = ["user", "lead_partner"]
