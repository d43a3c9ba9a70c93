from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from regsupport.audit import VersionedModel

ukprn_validator = RegexValidator(r"^\d{8}$", "A UKPRN is exactly 8 digits.")
accreditation_id_validator = RegexValidator(
    r"^[15]\d*$", "An accreditation id starts with 1 (HEI) or 5 (SCITT) and holds only digits."
)
urn_validator = RegexValidator(r"^\d{5,6}$", "A URN is 5 or 6 digits.")


class KeptQuerySet(models.QuerySet):
    def kept(self):
        return self.filter(discarded_at__isnull=True)

    def discarded(self):
        return self.filter(discarded_at__isnull=False)


class User(VersionedModel):
    """A person who uses the records service (not console staff)."""

    email = models.EmailField()
    first_name = models.CharField(max_length=255)
    last_name = models.CharField(max_length=255)
    discarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = KeptQuerySet.as_manager()

    class Meta:
        verbose_name = "service user"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(discarded_at__isnull=True),
                name="providers_user_email_unique_kept",
                violation_error_message="A kept user with this email already exists.",
            )
        ]
        indexes = [models.Index(Lower("email"), name="providers_user_email_lower")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} <{self.email}>"


class Provider(VersionedModel):
    """An accredited training provider (HEI or SCITT)."""

    name = models.CharField(max_length=255)
    code = models.CharField(max_length=10, blank=True, help_text="Publish accredited body code")
    ukprn = models.CharField(max_length=8, validators=[ukprn_validator])
    accreditation_id = models.CharField(
        max_length=10, unique=True, validators=[accreditation_id_validator]
    )
    accredited = models.BooleanField(default=True)
    apply_sync_enabled = models.BooleanField(default=False)
    discarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    users = models.ManyToManyField(User, through="ProviderUser", related_name="providers")

    history = HistoricalRecords()
    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["code"], name="providers_provider_code"),
            models.Index(fields=["ukprn"], name="providers_provider_ukprn"),
            models.Index(Lower("name"), name="providers_provider_name_lower"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name

    @property
    def is_hei(self) -> bool:
        return self.accreditation_id.startswith("1") or self.accreditation_id == "5728"

    def save(self, *args, **kwargs):
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)


class LeadPartner(VersionedModel):
    class RecordType(models.TextChoices):
        SCHOOL = "school", "School"
        HEI = "hei", "HEI"
        SCITT = "scitt", "SCITT"

    name = models.CharField(max_length=255)
    record_type = models.CharField(max_length=10, choices=RecordType.choices)
    ukprn = models.CharField(max_length=8, null=True, blank=True, validators=[ukprn_validator])
    urn = models.CharField(max_length=6, null=True, blank=True, validators=[urn_validator])
    provider = models.OneToOneField(
        Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="lead_partner"
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    users = models.ManyToManyField(User, through="LeadPartnerUser", related_name="lead_partners")

    history = HistoricalRecords()
    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                Lower("ukprn"),
                name="providers_leadpartner_ukprn_unique_ci",
                violation_error_message="Another lead partner has this UKPRN.",
            ),
            models.UniqueConstraint(
                Lower("urn"),
                name="providers_leadpartner_urn_unique_ci",
                violation_error_message="Another lead partner has this URN.",
            ),
        ]
        indexes = [models.Index(Lower("name"), name="providers_lp_name_lower")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        for name in ("ukprn", "urn"):
            value = (getattr(self, name) or "").strip()
            setattr(self, name, value or None)
        if self.record_type == self.RecordType.SCHOOL and not self.urn:
            raise ValidationError({"urn": "A school lead partner needs a URN."})
        if self.record_type in (self.RecordType.HEI, self.RecordType.SCITT) and not self.ukprn:
            raise ValidationError({"ukprn": "An HEI or SCITT lead partner needs a UKPRN."})


class ProviderUser(VersionedModel):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="provider_users")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="provider_users")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "provider membership"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "user"], name="providers_provideruser_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.provider}"


class LeadPartnerUser(VersionedModel):
    lead_partner = models.ForeignKey(
        LeadPartner, on_delete=models.CASCADE, related_name="lead_partner_users"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="lead_partner_users")
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "lead partner membership"
        constraints = [
            models.UniqueConstraint(
                fields=["lead_partner", "user"], name="providers_leadpartneruser_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.lead_partner}"
