"""Demo data for `make run`: providers, lead partners, their users and ~300 trainees in
every state and on every route, with history. Deterministic (seeded random)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from providers.models import LeadPartner, LeadPartnerUser, Provider, ProviderUser, User
from trainees.models import Trainee, WithdrawalReason

from .audit import audit_context
from .roles import DEVELOPER, SUPPORT_AGENT

REASON = "Demo data"
FIRST_NAMES = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Leo",
    "Ivy",
    "Arthur",
    "Freya",
    "Oscar",
    "Lily",
    "Harry",
    "Sophia",
    "Jack",
    "Grace",
    "Theo",
    "Rosie",
    "Alfie",
    "Priya",
    "Mohammed",
    "Zara",
    "Kwame",
    "Chen",
    "Aoife",
    "Dylan",
    "Fatima",
    "Tomasz",
    "Ngozi",
]
LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Khan",
    "Okafor",
    "Nowak",
    "O'Brien",
    "Murphy",
    "Lewis",
    "Clarke",
    "Hughes",
    "Begum",
    "Ali",
]
SUBJECTS = [
    "mathematics",
    "physics",
    "biology",
    "chemistry",
    "English studies",
    "history",
    "geography",
    "computer science",
    "primary teaching",
    "modern languages",
]
IQTS_COUNTRIES = ["Ireland", "South Korea", "United States", "Spain", "India"]
DEMO_LOGINS = {
    "admin": ("admin-demo", None),
    "support": ("support-demo", SUPPORT_AGENT),
    "developer": ("developer-demo", DEVELOPER),
}


def seed_demo(
    *,
    trainee_count: int = 300,
    fake_dqt_state: Path | None = None,
    fake_apply_state: Path | None = None,
    stdout=None,
) -> bool:
    """Returns False (and changes nothing) when demo data is already there.

    ``fake_dqt_state``: where to keep DQT's records of the demo trainees (the fake DQT's
    state file, which `make run`'s fake DQT serves); the dead jobs are made against them.
    ``fake_apply_state``: the same for Apply's application choices (``apply/demo.py``)."""
    from apply.demo import seed_apply_demo

    if Provider.objects.exists():
        _seed_dead_jobs_once(fake_dqt_state)
        seed_apply_demo(fake_apply_state=fake_apply_state)
        return False
    rng = random.Random(2026)
    with transaction.atomic():
        _seed(rng, trainee_count)
        _seed_support_cases()
        _seed_dead_jobs_once(fake_dqt_state)
        seed_apply_demo(fake_apply_state=fake_apply_state)
    ensure_demo_logins()
    return True


def _seed_dead_jobs_once(fake_dqt_state: Path | None) -> None:
    """Demo data made before the DQT jobs existed gets its dead jobs on the next run."""
    from dqt.demo import seed_dead_jobs, seed_pending_trns
    from dqt.fake.register_mirror import mirror_register_trainees
    from dqt.fake.state import FakeDqtState
    from jobs.models import Job

    if Job.objects.filter(task_name__startswith="dqt.").exists():
        return
    dqt = FakeDqtState()
    mirror_register_trainees(dqt)
    seed_dead_jobs(dqt)
    seed_pending_trns(dqt)
    if fake_dqt_state is not None:
        dqt.save(fake_dqt_state)


DUPLICATE_PAIRS = 3


def _seed_support_cases() -> None:
    """What the console's trainee tools need to show: drafts a provider added twice (the
    *Remove duplicates* CSV, ``demo_duplicates_csv``) and a record deleted with a reason
    (its banner and *Restore*)."""
    from trainees.services import trainee_delete

    drafts = list(Trainee.objects.kept().filter(state=Trainee.State.DRAFT).order_by("pk"))
    pairs = list(zip(drafts[0::2], drafts[1::2], strict=False))[:DUPLICATE_PAIRS]
    for kept, twin in pairs:
        for name in ("first_names", "middle_names", "last_name", "date_of_birth", "email"):
            setattr(twin, name, getattr(kept, name))
        twin.provider = kept.provider
        twin.save_with_reason(f"{REASON}: the provider added the trainee twice")
    not_started = (
        Trainee.objects.kept().filter(state=Trainee.State.SUBMITTED_FOR_TRN).order_by("pk").first()
    )
    if not_started is not None:
        trainee_delete(
            trainee=not_started,
            delete_reason="Trainee did not start training",
            reason="The provider says they never enrolled",
            ticket="https://becomingateacher.zendesk.com/agent/tickets/12345",
            actor=None,
        )


def demo_duplicates_csv() -> str:
    """The *Remove duplicates* CSV for the demo's duplicates: the first trainee of each
    email shared by kept trainees is the one to keep."""
    from django.db.models import Count, Min
    from django.db.models.functions import Lower

    groups = (
        Trainee.objects.kept()
        .exclude(email="")
        .values(address=Lower("email"))
        .annotate(n=Count("id"), keep=Min("id"))
        .filter(n__gt=1)
        .order_by("keep")
    )
    return "trainee_id,email\n" + "".join(f"{g['keep']},{g['address']}\n" for g in groups)


def ensure_demo_logins() -> None:
    StaffUser = get_user_model()
    for username, (password, group_name) in DEMO_LOGINS.items():
        user, created = StaffUser.objects.get_or_create(
            username=username,
            defaults={
                "is_staff": True,
                "is_superuser": group_name is None,
                "email": f"{username}@example.org",
            },
        )
        if created:
            user.set_password(password)
            user.save()
            if group_name:
                user.groups.add(Group.objects.get(name=group_name))


def _seed(rng: random.Random, trainee_count: int) -> None:
    providers = [
        Provider(
            name="Northfield University", code="1NU", ukprn="10007773", accreditation_id="1123"
        ),
        Provider(name="Riverside SCITT", code="2RS", ukprn="10034567", accreditation_id="5101"),
        Provider(
            name="Eastgate Teaching Alliance", code="3EA", ukprn="10045678", accreditation_id="5202"
        ),
        # A former accredited provider, now a lead partner (playbook: "add a previous trainee").
        Provider(
            name="Oakwood Teacher Training",
            code="4OT",
            ukprn="10056789",
            accreditation_id="5303",
            accredited=False,
        ),
    ]
    providers = bulk_create_with_history(providers, Provider, default_change_reason=REASON)
    lead_partners = bulk_create_with_history(
        [
            LeadPartner(
                name="Hillcrest Primary School",
                record_type=LeadPartner.RecordType.SCHOOL,
                urn="123456",
            ),
            LeadPartner(
                name="Oakwood Teacher Training",
                record_type=LeadPartner.RecordType.SCITT,
                ukprn="10056789",
                provider=providers[3],
            ),
        ],
        LeadPartner,
        default_change_reason=REASON,
    )
    users = []
    for index in range(12):
        first, last = FIRST_NAMES[index], LAST_NAMES[index]
        users.append(
            User(
                email=f"{first.lower()}.{last.lower()}@example.org",
                first_name=first,
                last_name=last,
            )
        )
    users = bulk_create_with_history(users, User, default_change_reason=REASON)
    memberships = [ProviderUser(provider=providers[i % 4], user=users[i]) for i in range(8)]
    bulk_create_with_history(memberships, ProviderUser, default_change_reason=REASON)
    partner_links = [
        LeadPartnerUser(lead_partner=lead_partners[i % 2], user=users[8 + i]) for i in range(4)
    ]
    # Oakwood's provider users are also its lead partner's users.
    partner_links += [LeadPartnerUser(lead_partner=lead_partners[1], user=users[3])]
    bulk_create_with_history(partner_links, LeadPartnerUser, default_change_reason=REASON)

    reasons = list(
        WithdrawalReason.objects.filter(
            name__in=[
                "financial_problems",
                "got_a_job",
                "problems_with_their_health",
                "does_not_want_to_become_a_teacher",
                "stopped_responding_to_messages",
                "record_added_in_error",
                "another_reason",
            ]
        )
    )
    routes = list(Trainee.TrainingRoute)
    states = [s for s in Trainee.State]
    trainees = []
    today = date(2026, 11, 25)
    for index in range(trainee_count):
        route = routes[index % len(routes)]
        state = (
            states[(index // len(routes)) % len(states)]
            if index < len(routes) * len(states)
            else rng.choice(states)
        )
        trainees.append(
            _demo_trainee(rng, index, providers[index % 3], lead_partners, route, state, today)
        )
    # Withdrawals happen as a second step so their history shows the state before.
    to_withdraw = []
    for trainee in trainees:
        if trainee.state == Trainee.State.WITHDRAWN:
            trainee.state = rng.choice([Trainee.State.TRN_RECEIVED, Trainee.State.DEFERRED])
            to_withdraw.append(trainee)
    bulk_create_with_history(trainees, Trainee, default_change_reason=REASON)
    for trainee in to_withdraw:
        trainee.withdraw(
            withdraw_date=datetime.combine(
                today - timedelta(days=rng.randint(5, 200)), datetime.min.time(), UTC
            ),
            details=rng.choice(["Moved abroad", "Took a job in industry", None]),
        )
        with audit_context(trainee, reason="Withdrawn by the provider"):
            trainee.save()
            trainee.withdrawal_reasons.set(rng.sample(reasons, rng.randint(1, 2)))


def _demo_trainee(rng, index, provider, lead_partners, route, state, today) -> Trainee:
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index * 7) % len(LAST_NAMES)]
    start = date(2025 + (index % 2), 9, 1)
    early_years = route in Trainee.EARLY_YEARS_ROUTES
    trainee = Trainee(
        first_names=first,
        last_name=last,
        middle_names=rng.choice(["", "", "Marie", "James"]),
        date_of_birth=date(1975 + index % 25, 1 + index % 12, 1 + index % 28),
        email=f"{first.lower()}.{last.lower().replace(chr(39), '')}{index}@example.com",
        sex=rng.choice(list(Trainee.Sex)),
        state=state,
        training_route=route,
        provider=provider,
        lead_partner=rng.choice([None, lead_partners[0], lead_partners[1]]),
        course_education_phase=Trainee.CourseEducationPhase.EARLY_YEARS
        if early_years
        else rng.choice(
            [Trainee.CourseEducationPhase.PRIMARY, Trainee.CourseEducationPhase.SECONDARY]
        ),
        course_subject_one="early years teaching" if early_years else rng.choice(SUBJECTS),
        course_min_age=0 if early_years else rng.choice([5, 11]),
        course_max_age=5 if early_years else rng.choice([11, 16, 18]),
        itt_start_date=start,
        itt_end_date=start.replace(year=start.year + 1, month=7, day=31),
        study_mode=rng.choice(list(Trainee.StudyMode)),
        iqts_country=rng.choice(IQTS_COUNTRIES) if route == Trainee.TrainingRoute.IQTS else "",
        training_initiative=Trainee.TrainingInitiative.NO_INITIATIVE,
        applying_for_bursary=rng.choice([True, False]),
        placement_detail=Trainee.PlacementDetail.HAS_PLACEMENT_DETAIL,
        progress={
            "personal_details": True,
            "course_details": True,
            "funding": True,
            "placements": state != 0,
        },
    )
    moment = datetime.combine(
        today - timedelta(days=rng.randint(10, 300)), datetime.min.time(), UTC
    )
    if state != Trainee.State.DRAFT:
        trainee.submitted_for_trn_at = moment
    # A few deferred trainees were deferred before DQT gave them a TRN.
    deferred_early = state == Trainee.State.DEFERRED and index % 3 == 0
    if state not in (Trainee.State.DRAFT, Trainee.State.SUBMITTED_FOR_TRN) and not deferred_early:
        trainee.trn = str(2_000_000 + index)
    if state in (Trainee.State.RECOMMENDED_FOR_AWARD, Trainee.State.AWARDED):
        outcome_date = min(today, max(start, (moment + timedelta(days=4)).date()))
        trainee.recommended_for_award_at = moment + timedelta(days=5)
        trainee.outcome_date = outcome_date
        if state == Trainee.State.AWARDED:
            # DQT's QTS/EYTS date is the outcome date it was sent.
            trainee.awarded_at = datetime.combine(outcome_date, datetime.min.time(), UTC)
    return trainee
