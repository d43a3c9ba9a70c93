from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from apply.models import Course
from dqt.models import TrnRequest
from providers.models import LeadPartner, LeadPartnerUser, Provider, ProviderUser, User
from trainees.models import ApplyApplication, Trainee, latest_outcome_date


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()


class ServiceUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    code = factory.Sequence(lambda n: f"P{n:03d}")
    # Above every UKPRN in dqt/data/degree_institutions.csv, so the fake DQT never knows a
    # factory provider as a degree institution.
    ukprn = factory.Sequence(lambda n: f"{18000000 + n}")
    accreditation_id = factory.Sequence(lambda n: f"5{n:03d}")


class LeadPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadPartner

    name = factory.Sequence(lambda n: f"Lead partner {n}")
    record_type = LeadPartner.RecordType.SCHOOL
    urn = factory.Sequence(lambda n: f"{100000 + n}")


class ProviderUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderUser

    provider = factory.SubFactory(ProviderFactory)
    user = factory.SubFactory(ServiceUserFactory)


class LeadPartnerUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadPartnerUser

    lead_partner = factory.SubFactory(LeadPartnerFactory)
    user = factory.SubFactory(ServiceUserFactory)


class TraineeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Trainee

    first_names = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = date(1995, 4, 12)
    email = factory.Sequence(lambda n: f"trainee{n}@example.com")
    sex = Trainee.Sex.FEMALE
    provider = factory.SubFactory(ProviderFactory)
    training_route = Trainee.TrainingRoute.PROVIDER_LED_POSTGRAD
    state = Trainee.State.DRAFT
    course_subject_one = "mathematics"
    course_min_age = 11
    course_max_age = 16
    itt_start_date = date(2026, 9, 1)
    itt_end_date = date(2027, 7, 31)

    class Params:
        submitted = factory.Trait(
            state=Trainee.State.SUBMITTED_FOR_TRN,
            submitted_for_trn_at=factory.LazyFunction(timezone.now),
        )
        with_trn = factory.Trait(
            state=Trainee.State.TRN_RECEIVED,
            submitted_for_trn_at=factory.LazyFunction(timezone.now),
            trn=factory.Sequence(lambda n: f"{3000000 + n}"),
        )


class ApplyApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApplyApplication

    apply_id = factory.Sequence(lambda n: 50000 + n)
    application = factory.LazyAttribute(lambda o: {"id": str(o.apply_id), "attributes": {}})
    accredited_body_code = "2N2"
    recruitment_cycle_year = 2024


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    uuid = factory.Faker("uuid4")
    code = factory.Sequence(lambda n: f"C{n:03d}")
    accredited_body_code = "2N2"
    name = "Mathematics"
    level = Course.Level.SECONDARY
    route = Trainee.TrainingRoute.PROVIDER_LED_POSTGRAD
    min_age = 11
    max_age = 16
    recruitment_cycle_year = 2024


class TrnRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrnRequest

    trainee = factory.SubFactory(TraineeFactory, submitted=True)


def withdrawn_trainee(*, before_state=None, reasons=("another_reason",), **kwargs):
    """A trainee withdrawn through a real transition, so its history holds the earlier state."""
    from trainees.models import WithdrawalReason

    kwargs.setdefault("trn", f"{4000000 + TraineeFactory._meta.next_sequence()}")
    trainee = TraineeFactory(
        state=before_state if before_state is not None else Trainee.State.TRN_RECEIVED,
        submitted_for_trn_at=timezone.now(),
        **kwargs,
    )
    trainee.withdraw(details="Moved abroad", dfe_details="Provider emailed DfE")
    trainee.save_with_reason("Withdrawn by the provider")
    trainee.withdrawal_reasons.set(WithdrawalReason.objects.filter(name__in=reasons))
    return trainee


def awarded_trainee(*, recommended_only=False, outcome_date=None, **kwargs):
    trainee = TraineeFactory(with_trn=True, **kwargs)
    trainee.recommend_for_award(outcome_date or latest_outcome_date())
    trainee.save_with_reason("Recommended by the provider")
    if not recommended_only:
        trainee.award(timezone.now())
        trainee.save_with_reason("Award date from DQT")
    return trainee


class JobFactory(factory.django.DjangoModelFactory):
    """A ledger row as a job of that type would leave it; ``dead=True`` for a failed one."""

    class Meta:
        model = "jobs.Job"

    task_name = "tests.ordered"
    queue = "dqt"
    trainee = factory.SubFactory(TraineeFactory, with_trn=True)
    arguments = factory.LazyAttribute(lambda o: {"path": "/dev/null", "step": "x"})
    state = "enqueued"
    max_attempts = 3

    class Params:
        dead = factory.Trait(
            state="dead",
            attempts=1,
            error_status=404,
            error_code=10001,
            error_title="Teacher with specified TRN not found",
            error_message=(
                'status: 404, body: {"title":"Teacher with specified TRN not found",'
                '"status":404,"errorCode":10001}'
            ),
            errors=factory.LazyAttribute(
                lambda o: [
                    {
                        "attempt": 1,
                        "at": "2026-11-20T10:00:00+00:00",
                        "status": 404,
                        "code": 10001,
                        "title": "Teacher with specified TRN not found",
                        "message": o.error_message,
                    }
                ]
            ),
        )
