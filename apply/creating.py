"""Draft trainees from importable Apply applications (Register's
``Trainees::CreateFromApply`` and ``Trainees::FindDuplicatesOfApplyApplication``), with
Register's code sets for what Apply sends (``app/lib/recruits_api/code_sets/*.rb``,
``config/initializers/diversity_enums.rb``)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from jobs.errors import PermanentError
from providers.models import Provider
from regsupport.audit import audit_context
from trainees.models import ApplyApplication, Trainee

from .models import Course

SYSTEM_REASON = "Apply import"
ACADEMIC_CYCLE_START_MONTH = 8
# Register's SetAcademicCycles: a trainee without dates starts in the cycle a month ahead.
DEFAULT_CYCLE_OFFSET = timedelta(days=30)

GENDERS = {
    "male": Trainee.Sex.MALE,
    "female": Trainee.Sex.FEMALE,
    "intersex": Trainee.Sex.OTHER,
    "other": Trainee.Sex.OTHER,
    "Prefer not to say": Trainee.Sex.SEX_NOT_PROVIDED,
    "": Trainee.Sex.SEX_NOT_PROVIDED,
}
ETHNIC_GROUPS = {
    "Asian or Asian British": Trainee.EthnicGroup.ASIAN,
    "Black, African, Black British or Caribbean": Trainee.EthnicGroup.BLACK,
    "Mixed or multiple ethnic groups": Trainee.EthnicGroup.MIXED,
    "White": Trainee.EthnicGroup.WHITE,
    "Another ethnic group": Trainee.EthnicGroup.OTHER,
}
BACKGROUNDS = {
    Trainee.EthnicGroup.ASIAN: [
        "Bangladeshi",
        "Chinese",
        "Indian",
        "Pakistani",
        "Another Asian background",
    ],
    Trainee.EthnicGroup.BLACK: ["African", "Caribbean", "Another Black background"],
    Trainee.EthnicGroup.MIXED: [
        "Asian and White",
        "Black African and White",
        "Black Caribbean and White",
        "Another Mixed background",
    ],
    Trainee.EthnicGroup.WHITE: [
        "British, English, Northern Irish, Scottish, or Welsh",
        "Irish",
        "Traveller or Gypsy",
        "Roma",
        "Another White background",
    ],
    Trainee.EthnicGroup.OTHER: ["Arab", "Another ethnic background"],
    Trainee.EthnicGroup.NOT_PROVIDED: ["Not provided"],
}
NO_DISABILITY = "I do not have any of these disabilities or health conditions"
PREFER_NOT_TO_SAY = "Prefer not to say"
# Apply's disability names -> Register's (RecruitsApi::CodeSets::Disabilities::NEW_MAPPING).
DISABILITIES = {
    "Blindness or a visual impairment not corrected by glasses": "Blind",
    "Deafness or a serious hearing impairment": "Deaf",
    "Dyslexia, dyspraxia or attention deficit hyperactivity disorder (ADHD) or another "
    "learning difference": "Learning difficulty",
    "Long-term illness": "Long-standing illness",
    "Condition affecting motor, cognitive, social and emotional skills, speech or language "
    "since childhood": "Development condition",
    "Mental health condition": "Mental health condition",
    "Physical disability or mobility issue": "Physical disability or mobility issue",
    "Autistic spectrum condition or another condition affecting speech, language, "
    "communication or social skills": "Social or communication impairment",
}
STUDY_MODES = {"part_time": Trainee.StudyMode.PART_TIME, "full_time": Trainee.StudyMode.FULL_TIME}


class MissingCourseError(PermanentError):
    """The application's course is not among Register's courses (Register:
    "Courses can be missing in non-prod environments")."""


class NoProviderError(PermanentError):
    """No kept provider has the application's accredited body code."""


def provider_of(application: ApplyApplication) -> Provider:
    provider = Provider.objects.filter(
        code=application.accredited_body_code, discarded_at__isnull=True
    ).first()
    if provider is None:
        raise NoProviderError(
            f"No provider has the accredited body code {application.accredited_body_code!r} of "
            f"Apply application {application.apply_id}",
            title="No provider for the body code",
        )
    return provider


def course_of(application: ApplyApplication) -> Course | None:
    """``provider.courses.find_by(uuid:)``: the provider's course with the application's uuid."""
    course_uuid = application.course.get("course_uuid")
    if not course_uuid:
        return None
    try:
        return Course.objects.filter(
            uuid=course_uuid, accredited_body_code=application.accredited_body_code
        ).first()
    except Exception:  # noqa: BLE001 - a uuid Apply sent that is not one finds nothing
        return None


def start_cycle_year(trainee: Trainee) -> int:
    """The year Register's ``start_academic_cycle`` starts in (cycles run 1 August to 31
    July): from the trainee's start date or ITT start date, else a month after the record
    was made."""
    start = trainee.trainee_start_date or trainee.itt_start_date
    if start is None:
        start = (trainee.created_at + DEFAULT_CYCLE_OFFSET).date()
    return start.year if start.month >= ACADEMIC_CYCLE_START_MONTH else start.year - 1


def _first_name(names: str | None) -> str:
    """Register's ``extract_first_name``: lower case, letters and spaces only, first word."""
    return re.sub(r"[^a-z ]", "", (names or "").strip().lower()).partition(" ")[0]


def _email(value: str | None) -> str:
    return (value or "").strip().lower()


def find_duplicates(
    application: ApplyApplication, *, course: Course | None = None
) -> list[Trainee]:
    """Register's rule: the provider's kept trainees with the candidate's date of birth and
    last name (any case), starting in the application's year on the course's route, and
    with the same first name (first word, letters only) or the same email.

    Two deliberate differences: Register reads the email from ``candidate``, where Apply
    never sends one (it is in ``contact_details``), so its email match never matched; and
    two blank emails are not a match here."""
    course = course if course is not None else course_of(application)
    if course is None:
        return []
    candidate = application.candidate
    date_of_birth = candidate.get("date_of_birth")
    last_name = (candidate.get("last_name") or "").strip()
    if not date_of_birth or not last_name:
        return []
    provider = provider_of(application)
    potential = Trainee.objects.filter(
        provider=provider,
        discarded_at__isnull=True,
        date_of_birth=date_of_birth,
        last_name__iexact=last_name,
    ).order_by("pk")
    email = _email(application.attributes.get("contact_details", {}).get("email"))
    first_name = _first_name(candidate.get("first_name"))
    return [
        trainee
        for trainee in potential
        if start_cycle_year(trainee) == application.course.get("recruitment_cycle_year")
        and trainee.training_route == course.route
        and (
            _first_name(trainee.first_names) == first_name
            or (email != "" and _email(trainee.email) == email)
        )
    ]


def create_trainee_from_application(application: ApplyApplication) -> Trainee | None:
    """A draft trainee with the candidate's personal and diversity data and the course's
    details; the application becomes ``imported``. A duplicate of an existing trainee makes
    the application ``non_importable_duplicate`` instead (returns None); a missing course
    raises :class:`MissingCourseError` and changes nothing."""
    with transaction.atomic():
        application = ApplyApplication.objects.select_for_update().get(pk=application.pk)
        if application.state != ApplyApplication.State.IMPORTABLE:
            return None
        course = course_of(application)
        duplicates = find_duplicates(application, course=course)
        if duplicates:
            application.state = ApplyApplication.State.NON_IMPORTABLE_DUPLICATE
            names = ", ".join(str(t.pk) for t in duplicates)
            with audit_context(
                application, reason=f"{SYSTEM_REASON}: duplicate of trainee {names}"
            ):
                application.save()
            return None
        if course is None:
            raise MissingCourseError(
                f"Cannot find course with uuid: {application.course.get('course_uuid')}",
                title="Course not found",
            )
        trainee = Trainee(
            **_personal(application),
            **_diversity(application.candidate),
            provider=provider_of(application),
            apply_application=application,
            application_choice_id=application.apply_id,
            record_source=Trainee.RecordSource.APPLY,
            course_uuid=course.uuid,
            course_education_phase=course.level,
            course_min_age=course.min_age,
            course_max_age=course.max_age,
            training_route=course.route,
            study_mode=STUDY_MODES.get(application.course.get("study_mode") or ""),
        )
        with audit_context(trainee, reason=f"{SYSTEM_REASON}: application {application.apply_id}"):
            trainee.save()
        application.state = ApplyApplication.State.IMPORTED
        with audit_context(application, reason=f"{SYSTEM_REASON}: trainee {trainee.pk} created"):
            application.save()
    return trainee


def _personal(application: ApplyApplication) -> dict[str, Any]:
    candidate = application.candidate
    contact = application.attributes.get("contact_details") or {}
    date_of_birth = candidate.get("date_of_birth")
    return {
        "first_names": candidate.get("first_name") or "",
        "last_name": candidate.get("last_name") or "",
        "date_of_birth": date.fromisoformat(date_of_birth) if date_of_birth else None,
        "email": contact.get("email") or "",
        "sex": GENDERS.get(candidate.get("gender") or "", Trainee.Sex.SEX_NOT_PROVIDED),
        "nationalities": list(candidate.get("nationality") or []),
    }


def _diversity(candidate: dict[str, Any]) -> dict[str, Any]:
    """Register's ethnic group and background, disclosure flags and disabilities."""
    group = ETHNIC_GROUPS.get(candidate.get("ethnic_group") or "", Trainee.EthnicGroup.NOT_PROVIDED)
    background = candidate.get("ethnic_background")
    values: dict[str, Any] = {"ethnic_group": group}
    if group != Trainee.EthnicGroup.NOT_PROVIDED and background:
        known = {b for names in BACKGROUNDS.values() for b in names}
        if background in known:
            values["ethnic_background"] = background
        else:
            values["ethnic_background"] = BACKGROUNDS[group][-1]
            values["additional_ethnic_background"] = background
    conditions = [
        c.get("name") for c in candidate.get("disabilities_and_health_conditions") or [] if c
    ]
    disclosed = any(candidate.get(k) for k in ("disabilities", "ethnic_group", "ethnic_background"))
    values["diversity_disclosure"] = (
        Trainee.DiversityDisclosure.DISCLOSED
        if disclosed
        else Trainee.DiversityDisclosure.NOT_DISCLOSED
    )
    if not conditions or PREFER_NOT_TO_SAY in conditions:
        values["disability_disclosure"] = Trainee.DisabilityDisclosure.NOT_PROVIDED
    elif NO_DISABILITY in conditions:
        values["disability_disclosure"] = Trainee.DisabilityDisclosure.NO_DISABILITY
    else:
        values["disability_disclosure"] = Trainee.DisabilityDisclosure.DISABLED
        values["disabilities"] = [DISABILITIES.get(str(name), "Other") for name in conditions]
    return values
