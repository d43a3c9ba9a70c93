"""Demo data for the Apply integration (`make run`): the playbook's "Incorrect provider_type
on Publish" ready to resolve.

Northern Nine SCITT (``2N2``) was listed on Publish as a university, so its 2024
applications were imported as ``non_importable_hei``; Publish has since been corrected (the
fake Apply already says ``scitt``), but Apply's choices were not touched, so the nightly
import does not bring them back. One of them is a trainee the provider already keyed in
(a duplicate once re-imported). Two 2025 applications wait to be made into trainees, and
one 2025 application was held back as a duplicate (the duplicates page).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from providers.models import Provider
from regsupport.audit import audit_context
from trainees.models import ApplyApplication, Trainee

from .fake.state import FakeApplyState, application_choice
from .models import ApplyApplicationSyncRequest, Course

REASON = "Demo data"
CODE = "2N2"
CHOSEN_AT = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
# (apply id, year, course, first name, last name, date of birth, state)
APPLICATIONS = [
    (3001, 2024, "maths", "Amara", "Osei", "1998-04-17", ApplyApplication.State.NON_IMPORTABLE_HEI),
    (
        3002,
        2024,
        "maths",
        "Daniel",
        "Price",
        "1995-11-02",
        ApplyApplication.State.NON_IMPORTABLE_HEI,
    ),
    (
        3003,
        2024,
        "primary",
        "Hannah",
        "Lee",
        "1999-07-21",
        ApplyApplication.State.NON_IMPORTABLE_HEI,
    ),
    (
        3004,
        2024,
        "primary",
        "Priya",
        "Patel",
        "1996-05-14",
        ApplyApplication.State.NON_IMPORTABLE_HEI,
    ),
    (3101, 2025, "maths", "Samuel", "Green", "2000-01-09", ApplyApplication.State.IMPORTABLE),
    (3102, 2025, "primary", "Layla", "Hussain", "1997-09-30", ApplyApplication.State.IMPORTABLE),
    (
        3103,
        2025,
        "maths",
        "Tomasz",
        "Nowak",
        "1994-03-12",
        ApplyApplication.State.NON_IMPORTABLE_DUPLICATE,
    ),
]
COURSES = {
    # name: (level, route, min age, max age, uuid per year)
    "maths": (Course.Level.SECONDARY, Trainee.TrainingRoute.PROVIDER_LED_POSTGRAD, 11, 16),
    "primary": (Course.Level.PRIMARY, Trainee.TrainingRoute.SCHOOL_DIRECT_TUITION_FEE, 5, 11),
}


def course_uuid(name: str, year: int) -> str:
    number = {"maths": 1, "primary": 2}[name]
    return f"2a2a2a2a-0000-4000-8000-{year:08d}{number:04d}"


def seed_apply_demo(*, fake_apply_state: Path | None = None) -> bool:
    """Once: returns False (and changes nothing in the database) when 2N2 exists. The fake
    Apply's state file is written either way when it is missing."""
    apply = _fake_apply()
    if fake_apply_state is not None and not fake_apply_state.exists():
        apply.save(fake_apply_state)
    if Provider.objects.filter(code=CODE).exists():
        return False
    with transaction.atomic():
        provider = Provider(
            name="Northern Nine SCITT",
            code=CODE,
            ukprn="10067890",
            accreditation_id="5404",
            apply_sync_enabled=True,
        )
        with audit_context(provider, reason=REASON):
            provider.save()
        for year in (2024, 2025):
            for name, (level, route, min_age, max_age) in COURSES.items():
                Course.objects.create(
                    uuid=course_uuid(name, year),
                    code=f"{name[0].upper()}{year % 100}1",
                    accredited_body_code=CODE,
                    name="Mathematics" if name == "maths" else "Primary",
                    level=level,
                    route=route,
                    min_age=min_age,
                    max_age=max_age,
                    recruitment_cycle_year=year,
                )
        # Keyed in by the provider before the imports: Priya (2024) and Tomasz (2025).
        for first, last, born, year, course in [
            ("Priya", "Patel", date(1996, 5, 14), 2024, "primary"),
            ("Tomasz", "Nowak", date(1994, 3, 12), 2025, "maths"),
        ]:
            trainee = Trainee(
                provider=provider,
                first_names=first,
                last_name=last,
                date_of_birth=born,
                email=f"{first.lower()}.{last.lower()}@example.com",
                training_route=COURSES[course][1],
                itt_start_date=date(year, 9, 1),
                itt_end_date=date(year + 1, 7, 31),
            )
            with audit_context(trainee, reason=REASON):
                trainee.save()
        for apply_id, year, _, _, _, _, state in APPLICATIONS:
            # What Apply sent then: for the 2024 ones, Publish still said "university".
            hei = state == ApplyApplication.State.NON_IMPORTABLE_HEI
            apply.put_provider(code=CODE, provider_type="university" if hei else "scitt")
            application = ApplyApplication(
                apply_id=apply_id,
                application=apply.present(apply.choices[apply_id]),
                accredited_body_code=CODE,
                recruitment_cycle_year=year,
                state=state,
            )
            with audit_context(application, reason=REASON):
                application.save()
        for year in (2024, 2025):
            ApplyApplicationSyncRequest.objects.create(
                recruitment_cycle_year=year,
                successful=True,
                response_code=200,
                created_at=timezone.now(),
            )
    return True


def _fake_apply() -> FakeApplyState:
    """Apply's side: Publish already corrected (``scitt``), the choices untouched since."""
    state = FakeApplyState()
    state.put_provider(code=CODE, name="Northern Nine SCITT", provider_type="scitt")
    for apply_id, year, course, first, last, born, _ in APPLICATIONS:
        state.add_choice(
            application_choice(
                apply_id=apply_id,
                recruitment_cycle_year=year,
                training_provider_code=CODE,
                course_uuid=course_uuid(course, year),
                course_code=f"{course[0].upper()}{year % 100}1",
                first_name=first,
                last_name=last,
                date_of_birth=born,
                updated_at=CHOSEN_AT,
                ethnic_group="White",
                ethnic_background="Irish" if apply_id % 2 else None,
            )
        )
    return state
