from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from dqt.models import TrnRequest
from providers.models import LeadPartner, LeadPartnerUser, Provider, ProviderUser, User
from trainees.models import ApplyApplication, Trainee


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
    ukprn = factory.Sequence(lambda n: f"{10000000 + n}")
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


class TrnRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrnRequest

    trainee = factory.SubFactory(TraineeFactory, submitted=True)
