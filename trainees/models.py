from __future__ import annotations

import re
import secrets
from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any, Self

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Concat, Upper
from django.utils import timezone
from simple_history.models import HistoricalRecords

from dqt.countries import validate_iqts_country
from providers.models import KeptQuerySet, LeadPartner, Provider
from regsupport.audit import AuditedModel, VersionedModel

from .errors import TraineeError, TraineeStateError

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SLUG_LENGTH = 24
# The name as searched: every part, so "Ada Love" finds Ada Lovelace. Its trigram index is
# declared on the model; a search must use this same expression for PostgreSQL to use it.
FULL_NAME = Concat(
    "first_names",
    models.Value(" "),
    "middle_names",
    models.Value(" "),
    "last_name",
    output_field=models.TextField(),
)


def generate_slug() -> str:
    """24 base58 characters, as Register's ``SecureRandom.base58(24)``."""
    return "".join(secrets.choice(BASE58_ALPHABET) for _ in range(SLUG_LENGTH))


def latest_outcome_date() -> date:
    """Today as Register and DQT count it: the UTC date (Register's ``Time.zone`` was UTC,
    DQT's clock is UTC). For an hour after midnight in a British summer it is still
    yesterday, and DQT refuses a later QTS date ("QTS date cannot be in the future.")."""
    return timezone.now().astimezone(UTC).date()


def clean_outcome_date(value: date | str | None, *, itt_start_date: date | None) -> date:
    """An outcome date as Register's OutcomeDateForm accepts it, with its messages: given, a
    real date, not after today (``latest_outcome_date``), not before the ITT start date."""
    if value in (None, ""):
        raise TraineeError("Enter an outcome date")
    if isinstance(value, datetime):
        value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
    elif isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise TraineeError("Enter a valid outcome date") from None
    if not isinstance(value, date):
        raise TraineeError("Enter a valid outcome date")
    latest = latest_outcome_date()
    if value > latest:
        if value == timezone.localdate():
            raise TraineeError(
                f"Outcome date must be in the past: until 1am it is still {latest:%-d %B %Y} "
                "for DQT (its dates are UTC's)"
            )
        raise TraineeError("Outcome date must be in the past")
    if itt_start_date is not None and value < itt_start_date:
        raise TraineeError("The date must not be before the ITT start date")
    return value


# What DQT refuses, checked before anything is saved (docs/dqt.md, "Refused at the door").
TRN_FORMAT = re.compile(r"[0-9]{7}")
EARLIEST_DATE_OF_BIRTH = date(1940, 1, 1)
YOUNGEST_TRAINEE_AGE = 16
OLDEST_COURSE_AGE = 19


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def dqt_rule_errors(trainee: Trainee, fields: Collection[str] | None = None) -> dict[str, str]:
    """The trainee's values DQT would refuse, as {field: message}; with ``fields``, only the
    rules that read one of those fields (so a fix is not refused over old data it does not
    touch). Register's messages where Register has the rule, DQT's otherwise."""

    def touched(*names: str) -> bool:
        return fields is None or any(name in fields for name in names)

    errors: dict[str, str] = {}
    if touched("trn") and trainee.trn and not TRN_FORMAT.fullmatch(trainee.trn):
        errors["trn"] = "A TRN is 7 digits, for example 1234567"
    born = trainee.date_of_birth
    if touched("date_of_birth") and born is not None:
        today = latest_outcome_date()
        if born >= today:
            errors["date_of_birth"] = (
                "Enter a date of birth that is in the past, for example 31 3 1980"
            )
        elif born > _years_before(today, YOUNGEST_TRAINEE_AGE):
            errors["date_of_birth"] = (
                "Enter a valid date of birth, trainee cannot be younger than 16 years old"
            )
        elif born < EARLIEST_DATE_OF_BIRTH:
            errors["date_of_birth"] = (
                "Enter a valid date of birth: DQT refuses one before 1 January 1940 "
                "(Birth date is out of expected range.)"
            )
    start, end = trainee.itt_start_date, trainee.itt_end_date
    if touched("itt_start_date", "itt_end_date") and start and end and start >= end:
        errors["itt_end_date"] = "The expected end date must be after the start date"
    if touched("course_min_age", "course_max_age"):
        for name in ("course_min_age", "course_max_age"):
            age = getattr(trainee, name)
            if age is not None and not 0 <= age <= OLDEST_COURSE_AGE:
                errors[name] = "Age must be 0-19 inclusive."
        low, high = trainee.course_min_age, trainee.course_max_age
        if not errors.keys() & {"course_min_age", "course_max_age"}:
            if low is not None and high is not None and low > high:
                errors["course_max_age"] = "The maximum age cannot be less than the minimum age"
    return errors


class WithdrawalReason(models.Model):
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name.replace("_", " ").capitalize()


class ApplyApplication(AuditedModel):
    class State(models.IntegerChoices):
        IMPORTABLE = 0, "Importable"
        NON_IMPORTABLE_HEI = 1, "Non-importable (HEI)"
        NON_IMPORTABLE_DUPLICATE = 2, "Non-importable (duplicate)"
        IMPORTED = 3, "Imported"

    apply_id = models.IntegerField(unique=True, help_text="Apply's application choice id")
    application = models.JSONField()
    accredited_body_code = models.CharField(max_length=10, blank=True, db_index=True)
    recruitment_cycle_year = models.IntegerField(null=True, blank=True)
    state = models.IntegerField(choices=State.choices, default=State.IMPORTABLE)
    invalid_data = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "Apply application"
        indexes = [
            models.Index(
                fields=["accredited_body_code", "recruitment_cycle_year", "state"],
                name="trainees_apply_code_year_state",
            )
        ]

    def __str__(self) -> str:
        return f"Apply application {self.apply_id}"

    @property
    def attributes(self) -> dict[str, Any]:
        data = self.application if isinstance(self.application, dict) else {}
        attributes = data.get("attributes")
        return attributes if isinstance(attributes, dict) else {}

    @property
    def candidate(self) -> dict[str, Any]:
        return self.attributes.get("candidate") or {}

    @property
    def course(self) -> dict[str, Any]:
        return self.attributes.get("course") or {}

    @property
    def candidate_full_name(self) -> str:
        return " ".join(
            str(n) for n in (self.candidate.get("first_name"), self.candidate.get("last_name")) if n
        )


class Trainee(VersionedModel):
    class State(models.IntegerChoices):
        DRAFT = 0, "Draft"
        SUBMITTED_FOR_TRN = 1, "Submitted for TRN"
        TRN_RECEIVED = 2, "TRN received"
        RECOMMENDED_FOR_AWARD = 3, "Recommended for award"
        WITHDRAWN = 4, "Withdrawn"
        DEFERRED = 5, "Deferred"
        AWARDED = 6, "Awarded"

    class TrainingRoute(models.IntegerChoices):
        ASSESSMENT_ONLY = 0, "Assessment only"
        PROVIDER_LED_POSTGRAD = 1, "Provider-led (postgrad)"
        EARLY_YEARS_UNDERGRAD = 2, "Early years (undergrad)"
        SCHOOL_DIRECT_TUITION_FEE = 3, "School direct (fee funded)"
        SCHOOL_DIRECT_SALARIED = 4, "School direct (salaried)"
        PG_TEACHING_APPRENTICESHIP = 5, "Postgraduate teaching apprenticeship"
        EARLY_YEARS_ASSESSMENT_ONLY = 6, "Early years assessment only"
        EARLY_YEARS_SALARIED = 7, "Early years (salaried)"
        EARLY_YEARS_POSTGRAD = 8, "Early years (postgrad)"
        PROVIDER_LED_UNDERGRAD = 9, "Provider-led (undergrad)"
        OPT_IN_UNDERGRAD = 10, "Opt-in (undergrad)"
        HPITT_POSTGRAD = 11, "High potential ITT"
        IQTS = 12, "International qualified teacher status"
        TEACHER_DEGREE_APPRENTICESHIP = 14, "Teacher degree apprenticeship"

    class Sex(models.IntegerChoices):
        MALE = 0, "Male"
        FEMALE = 1, "Female"
        OTHER = 2, "Other"
        SEX_NOT_PROVIDED = 3, "Not provided"
        PREFER_NOT_TO_SAY = 4, "Prefer not to say"

    class CourseEducationPhase(models.IntegerChoices):
        PRIMARY = 0, "Primary"
        SECONDARY = 1, "Secondary"
        EARLY_YEARS = 2, "Early years"

    # Register's TRAINEE_STUDY_MODE_ENUMS (config/initializers/course_study_modes.rb).
    class StudyMode(models.IntegerChoices):
        PART_TIME = 0, "Part time"
        FULL_TIME = 1, "Full time"

    # Register's ROUTE_INITIATIVES (config/initializers/training_routes.rb) with its labels.
    class TrainingInitiative(models.IntegerChoices):
        FUTURE_TEACHING_SCHOLARS = 0, "Future Teaching Scholars"
        MATHS_PHYSICS_CHAIRS_PROGRAMME_RESEARCHERS_IN_SCHOOLS = (
            1,
            "Maths and Physics Chairs programme / Researchers in Schools",
        )
        NOW_TEACH = 2, "Now Teach"
        TRANSITION_TO_TEACH = 3, "Transition to Teach"
        NO_INITIATIVE = 4, "Not on a training initiative"
        TROOPS_TO_TEACHERS = 5, "Troops to Teachers"
        VETERANS_TEACHING_UNDERGRADUATE_BURSARY = 6, "Veteran teaching undergraduate bursary"
        INTERNATIONAL_RELOCATION_PAYMENT = 7, "International Relocation Payment"
        ABRIDGED_ITT_COURSE = 8, "Abridged ITT course"
        PRIMARY_MATHEMATICS_SPECIALIST = 9, "Primary mathematics specialist"
        ADDITIONAL_ITT_PLACE_FOR_PE_WITH_A_PRIORITY_SUBJECT = (
            10,
            "Additional ITT place for PE with a priority subject",
        )

    # Register's Trainee#record_source (a string enum): where the record came from.
    class RecordSource(models.TextChoices):
        APPLY = "apply", "Apply"
        DTTP = "dttp", "DTTP"
        HESA_COLLECTION = "hesa_collection", "HESA collection"
        HESA_TRN_DATA = "hesa_trn_data", "HESA TRN data"
        MANUAL = "manual", "Manual"
        API = "api", "Register API"
        CSV = "csv", "CSV upload"

    # Register's Diversities enums (config/initializers/diversity_enums.rb).
    class EthnicGroup(models.TextChoices):
        ASIAN = "asian_ethnic_group", "Asian or Asian British"
        BLACK = "black_ethnic_group", "Black, African, Black British or Caribbean"
        MIXED = "mixed_ethnic_group", "Mixed or multiple ethnic groups"
        WHITE = "white_ethnic_group", "White"
        OTHER = "other_ethnic_group", "Another ethnic group"
        NOT_PROVIDED = "not_provided_ethnic_group", "Not provided"

    class DiversityDisclosure(models.TextChoices):
        DISCLOSED = "diversity_disclosed", "Disclosed"
        NOT_DISCLOSED = "diversity_not_disclosed", "Not disclosed"

    class DisabilityDisclosure(models.TextChoices):
        DISABLED = "disabled", "Disabled"
        NO_DISABILITY = "no_disability", "No disability"
        NOT_PROVIDED = "disability_not_provided", "Not provided"

    class BursaryTier(models.IntegerChoices):
        TIER_ONE = 1, "Tier one"
        TIER_TWO = 2, "Tier two"
        TIER_THREE = 3, "Tier three"

    class PlacementDetail(models.IntegerChoices):
        HAS_PLACEMENT_DETAIL = 0, "Has placement detail"
        NO_PLACEMENT_DETAIL = 1, "No placement detail"

    EARLY_YEARS_ROUTES = frozenset(
        {
            TrainingRoute.EARLY_YEARS_UNDERGRAD,
            TrainingRoute.EARLY_YEARS_ASSESSMENT_ONLY,
            TrainingRoute.EARLY_YEARS_SALARIED,
            TrainingRoute.EARLY_YEARS_POSTGRAD,
        }
    )
    # The course and funding sections of the record, named once: the console shows them
    # together, a route change clears them, DQT holds some of the course ones.
    COURSE_FIELDS = (
        "course_uuid",
        "course_education_phase",
        "course_subject_one",
        "course_subject_two",
        "course_subject_three",
        "course_min_age",
        "course_max_age",
        "itt_start_date",
        "itt_end_date",
        "study_mode",
    )
    FUNDING_AND_PLACEMENT_FIELDS = (
        "training_initiative",
        "applying_for_bursary",
        "applying_for_scholarship",
        "applying_for_grant",
        "bursary_tier",
        "placement_detail",
    )
    COMPLETE_STATES = frozenset({State.RECOMMENDED_FOR_AWARD, State.WITHDRAWN, State.AWARDED})
    IN_TRAINING_STATES = frozenset(
        {State.SUBMITTED_FOR_TRN, State.TRN_RECEIVED, State.RECOMMENDED_FOR_AWARD}
    )

    # event name -> (states it may start from, state it leads to)
    TRANSITIONS: dict[str, tuple[frozenset[int], int]] = {
        "submit_for_trn": (frozenset({State.DRAFT, State.DEFERRED}), State.SUBMITTED_FOR_TRN),
        "receive_trn": (
            frozenset({State.SUBMITTED_FOR_TRN, State.DEFERRED, State.TRN_RECEIVED}),
            State.TRN_RECEIVED,
        ),
        "recommend_for_award": (frozenset({State.TRN_RECEIVED}), State.RECOMMENDED_FOR_AWARD),
        "withdraw": (
            frozenset({State.SUBMITTED_FOR_TRN, State.TRN_RECEIVED, State.DEFERRED}),
            State.WITHDRAWN,
        ),
        "defer": (frozenset({State.SUBMITTED_FOR_TRN, State.TRN_RECEIVED}), State.DEFERRED),
        "award": (frozenset({State.RECOMMENDED_FOR_AWARD}), State.AWARDED),
    }

    slug = models.CharField(
        max_length=SLUG_LENGTH, unique=True, default=generate_slug, editable=False
    )
    trn = models.CharField("TRN", max_length=7, blank=True, default="")
    hesa_id = models.CharField(
        "HESA id",
        max_length=50,
        blank=True,
        default="",
        db_index=True,
        help_text="The trainee's HESA unique student identifier (HUSID), sent to DQT as husid",
    )
    first_names = models.CharField(max_length=255)
    middle_names = models.CharField(max_length=255, blank=True, default="")
    last_name = models.CharField(max_length=255)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True, default="")
    sex = models.IntegerField(choices=Sex.choices, null=True, blank=True)
    state = models.IntegerField(choices=State.choices, default=State.DRAFT)
    training_route = models.IntegerField(choices=TrainingRoute.choices, null=True, blank=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="trainees")
    lead_partner = models.ForeignKey(
        LeadPartner, null=True, blank=True, on_delete=models.SET_NULL, related_name="trainees"
    )
    apply_application = models.OneToOneField(
        ApplyApplication, null=True, blank=True, on_delete=models.SET_NULL, related_name="trainee"
    )
    record_source = models.CharField(
        max_length=20, choices=RecordSource.choices, default=RecordSource.MANUAL
    )
    application_choice_id = models.IntegerField(
        null=True, blank=True, help_text="Apply's application choice id, for a trainee from Apply"
    )

    # Diversity
    ethnic_group = models.CharField(max_length=30, choices=EthnicGroup.choices, blank=True)
    ethnic_background = models.CharField(max_length=255, blank=True, default="")
    additional_ethnic_background = models.CharField(max_length=255, blank=True, default="")
    diversity_disclosure = models.CharField(
        max_length=30, choices=DiversityDisclosure.choices, blank=True
    )
    disability_disclosure = models.CharField(
        max_length=30, choices=DisabilityDisclosure.choices, blank=True
    )
    disabilities = models.JSONField(
        default=list, blank=True, help_text="Register's disability names (Diversities)"
    )
    nationalities = models.JSONField(
        default=list, blank=True, help_text="Country codes of the trainee's nationalities"
    )

    # Course details
    course_uuid = models.UUIDField(null=True, blank=True)
    course_education_phase = models.IntegerField(
        choices=CourseEducationPhase.choices, null=True, blank=True
    )
    course_subject_one = models.CharField(max_length=255, blank=True, null=True)
    course_subject_two = models.CharField(max_length=255, blank=True, null=True)
    course_subject_three = models.CharField(max_length=255, blank=True, null=True)
    course_min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    course_max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    itt_start_date = models.DateField("ITT start date", null=True, blank=True)
    itt_end_date = models.DateField("ITT end date", null=True, blank=True)
    study_mode = models.IntegerField(choices=StudyMode.choices, null=True, blank=True)
    trainee_start_date = models.DateField(
        "Trainee start date",
        null=True,
        blank=True,
        help_text="When the trainee started, if not on the ITT start date",
    )
    iqts_country = models.CharField(
        "IQTS country",
        max_length=255,
        blank=True,
        default="",
        validators=[validate_iqts_country],
        help_text="Where an IQTS trainee trains, as the DfE list of countries names it",
    )

    # Funding
    training_initiative = models.IntegerField(
        choices=TrainingInitiative.choices, null=True, blank=True
    )
    applying_for_bursary = models.BooleanField(null=True, blank=True)
    applying_for_scholarship = models.BooleanField(null=True, blank=True)
    applying_for_grant = models.BooleanField(null=True, blank=True)
    bursary_tier = models.IntegerField(choices=BursaryTier.choices, null=True, blank=True)

    placement_detail = models.IntegerField(choices=PlacementDetail.choices, null=True, blank=True)
    progress = models.JSONField(default=dict, blank=True)
    degree_institution_uuid = models.UUIDField(
        null=True, blank=True, help_text="DfE reference data id of the degree-awarding institution"
    )

    # Workflow
    submitted_for_trn_at = models.DateTimeField(null=True, blank=True)
    recommended_for_award_at = models.DateTimeField(null=True, blank=True)
    outcome_date = models.DateField(
        "Outcome date",
        null=True,
        blank=True,
        help_text="The date the trainee met the QTS or EYTS standards",
    )
    awarded_at = models.DateTimeField(null=True, blank=True)
    withdraw_date = models.DateTimeField(null=True, blank=True)
    withdraw_reasons_details = models.TextField(blank=True, null=True)
    withdraw_reasons_dfe_details = models.TextField(blank=True, null=True)
    withdrawal_reasons = models.ManyToManyField(
        WithdrawalReason, blank=True, related_name="trainees"
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[withdrawal_reasons])
    objects = KeptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["trn"], name="trainees_trainee_trn"),
            models.Index(Upper("email"), name="trainees_trainee_email_upper"),
            models.Index(
                OpClass(Upper("last_name"), name="text_pattern_ops"),
                name="trainees_trainee_last_name",
            ),
            models.Index(
                OpClass(Upper("first_names"), name="text_pattern_ops"),
                name="trainees_trainee_first_names",
            ),
            models.Index(fields=["provider", "state"], name="trainees_trainee_prov_state"),
            # The console lists newest first and pages by seeking on (created_at, id), so
            # the list, each filter and any page read about 100 index entries
            # (docs/decisions/0014-trainee-lists-at-a-million.md).
            models.Index(fields=["created_at", "id"], name="trainees_trainee_created"),
            models.Index(fields=["state", "created_at", "id"], name="trainees_trainee_state"),
            models.Index(
                fields=["training_route", "created_at", "id"], name="trainees_trainee_route"
            ),
            models.Index(
                fields=["provider", "created_at", "id"], name="trainees_trainee_prov_created"
            ),
            models.Index(
                fields=["created_at", "id"],
                condition=models.Q(discarded_at__isnull=False),
                name="trainees_trainee_discarded",
            ),
            # Any part of a name, in any case: pg_trgm serves the LIKE of `icontains`
            # (UPPER(name) LIKE UPPER('%word%')).
            GinIndex(
                OpClass(Upper(FULL_NAME), name="gin_trgm_ops"), name="trainees_trainee_name_trgm"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.slug})"

    # The slug as read from the database (None when the query deferred it): a slug never changes.
    _loaded_slug: str | None

    # django-stubs 6.1 describes Django 6.1's from_db, which adds a keyword-only `fetch_mode`;
    # Django 5.2's from_db (the one we run) has exactly these three arguments.
    @classmethod
    def from_db(  # type: ignore[override]
        cls, db: str | None, field_names: Collection[str], values: Collection[Any]
    ) -> Self:
        instance = super().from_db(db, field_names, values)
        instance._loaded_slug = instance.__dict__.get("slug")
        return instance

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_slug", None)
        if loaded and loaded != self.slug:
            raise TraineeStateError("A trainee's slug never changes once created.")
        for name in ("first_names", "middle_names", "last_name", "email", "trn"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, " ".join(value.split()))
        super().save(*args, **kwargs)
        self._loaded_slug = self.slug

    def clean(self) -> None:
        super().clean()
        if errors := dqt_rule_errors(self):
            raise ValidationError(errors)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_names, self.middle_names, self.last_name) if p)

    @property
    def is_early_years(self) -> bool:
        return self.training_route in self.EARLY_YEARS_ROUTES

    @property
    def award_type(self) -> str:
        return "EYTS" if self.is_early_years else "QTS"

    # --- state transitions -------------------------------------------------------------
    # Each changes the trainee in memory; the caller saves with a reason (see services).

    def can(self, event: str) -> bool:
        allowed_from, _ = self.TRANSITIONS[event]
        return self.state in allowed_from

    def _check_transition(self, event: str) -> None:
        allowed_from, _ = self.TRANSITIONS[event]
        if self.state not in allowed_from:
            allowed = ", ".join(self.State(s).label for s in sorted(allowed_from))
            raise TraineeStateError(
                f"Cannot {event.replace('_', ' ')}: the trainee is "
                f"{self.get_state_display().lower()}. Allowed only when: {allowed}."
            )

    def _transition(self, event: str) -> None:
        self._check_transition(event)
        self.state = self.TRANSITIONS[event][1]

    def submit_for_trn(self) -> None:
        self._transition("submit_for_trn")
        self.submitted_for_trn_at = timezone.now()
        application = self.apply_application
        if application is not None and application.invalid_data is not None:
            application.invalid_data = None
            application.save_with_reason("Trainee submitted for TRN")

    def receive_trn(self, trn: str | None = None) -> None:
        """Register's ``trn_received!``: keep a deferred or withdrawn state; never overwrite a TRN."""
        if not trn and not self.trn:
            raise TraineeStateError("Cannot record a TRN: none was given and the trainee has none.")
        if self.state not in (self.State.DEFERRED, self.State.WITHDRAWN):
            self._transition("receive_trn")
        if not self.trn:
            self.trn = trn or ""

    def recommend_for_award(self, outcome_date: date | str | None) -> None:
        """Register's outcome-date step, then ``recommend_for_award!``. The outcome date is the
        day the trainee met the standards; DQT makes it the QTS or EYTS date."""
        self._check_transition("recommend_for_award")
        self.outcome_date = clean_outcome_date(outcome_date, itt_start_date=self.itt_start_date)
        self._transition("recommend_for_award")
        self.recommended_for_award_at = timezone.now()

    def withdraw(
        self, *, withdraw_date=None, details: str | None = None, dfe_details: str | None = None
    ) -> None:
        self._transition("withdraw")
        self.withdraw_date = withdraw_date or timezone.now()
        self.withdraw_reasons_details = details
        self.withdraw_reasons_dfe_details = dfe_details

    def defer(self) -> None:
        self._transition("defer")

    def award(self, awarded_at=None) -> None:
        """Register's ``award_qts!``: the award date is required."""
        awarded_at = awarded_at or self.awarded_at
        if not awarded_at:
            raise TraineeStateError("Cannot award: the award date is missing.")
        self._transition("award")
        self.awarded_at = awarded_at
