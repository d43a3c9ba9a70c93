"""What DQT holds for a trainee, from the shell or the console (read-only).

The playbook's ``Dqt::RetrieveTeacher.call(trainee: t)`` and ``Dqt::FindTeacher.call(trainee: t)``::

    from dqt.lookups import retrieve_teacher, find_teacher
    retrieve_teacher(t)             # the trainee has a TRN
    find_teacher(t)                 # no TRN yet: by name, date of birth and email
    retrieve_teacher("<slug>")      # a slug or a primary key works too

Both return DQT's record as a dict and raise a :class:`dqt.errors.DqtError` whose message
says what is wrong (no TRN, none found, several found) otherwise.
"""

from __future__ import annotations

from typing import Any

from regsupport.ids import parse_id
from trainees.models import Trainee

from .client import DqtClient
from .errors import DqtHttpError, FindTeacherError, TeacherNotFound, TraineeMissingTrn
from .payloads import programme_type


def retrieve_teacher(trainee: Trainee | str | int, *, client: DqtClient | None = None) -> dict:
    """GET /v2/teachers/{trn}: DQT's record with every ITT row, inactive ones included."""
    trainee = _as_trainee(trainee)
    if not trainee.trn:
        raise TraineeMissingTrn(
            f"Trainee {trainee.pk} ({trainee.slug}) has no TRN yet, so DQT cannot be asked "
            "by TRN: use find_teacher(trainee) instead."
        )
    client = client or DqtClient()
    try:
        return client.get_teacher(trainee.trn, birth_date=trainee.date_of_birth or None)
    except DqtHttpError as error:
        if error.status == 404:
            raise TeacherNotFound(
                f"DQT has no active teacher with TRN {trainee.trn} (trainee {trainee.pk}, "
                f"{trainee.slug}): the TRN is wrong or inactive on DQT's side."
            ) from error
        raise


def find_teacher(trainee: Trainee | str | int, *, client: DqtClient | None = None) -> dict:
    """GET /v2/teachers/find by first given name, last name, date of birth and email; exactly
    one result is an answer, none or several is an error naming the trainee."""
    trainee = _as_trainee(trainee)
    if not trainee.date_of_birth:
        raise FindTeacherError(
            f"Cannot search DQT for trainee {trainee.pk}: Register has no date of birth."
        )
    client = client or DqtClient()
    given = trainee.first_names.split()
    results = client.find_teachers(
        first_name=given[0] if given else "",
        last_name=trainee.last_name,
        date_of_birth=trainee.date_of_birth,
        email=trainee.email or None,
    )
    if not results:
        raise FindTeacherError(f"No teachers found in DQT for trainee {trainee.pk}")
    if len(results) > 1:
        trns = ", ".join(str(r.get("trn")) for r in results)
        raise FindTeacherError(
            f"Multiple teachers found in DQT for trainee {trainee.pk} (TRNs {trns})"
        )
    return results[0]


def training_record(trainee: Trainee, teacher: dict[str, Any]) -> dict[str, Any] | None:
    """The DQT ITT row that is this trainee's: same provider UKPRN and programme type, as
    Register's RetrieveTraining picked it; else the one row for the provider, if only one."""
    ukprn = trainee.provider.ukprn
    rows = [
        row
        for row in teacher.get("initialTeacherTraining") or []
        if (row.get("provider") or {}).get("ukprn") == ukprn
    ]
    exact = [row for row in rows if row.get("programmeType") == programme_type(trainee)]
    if len(exact) == 1:
        return exact[0]
    if len(rows) == 1:
        return rows[0]
    return None


def _as_trainee(trainee: Trainee | str | int) -> Trainee:
    if isinstance(trainee, Trainee):
        return trainee
    if isinstance(trainee, int):
        return Trainee.objects.get(pk=trainee)
    if (trainee_id := parse_id(trainee)) is not None:
        return Trainee.objects.get(pk=trainee_id)
    return Trainee.objects.get(slug=trainee)
