"""What sends a trainee to DQT: listeners on ``trainees.signals.trainee_changed``.

Runs inside the service's transaction, so the job rows roll back with the change and
nothing is sent for a change that did not happen (jobs publish on commit).

* submitted for TRN → register for TRN (which then polls for the TRN);
* withdrawn → withdraw on DQT; recommended for award → recommend for award;
* any other change to what the update sends (training, degree, provider, names, date of
  birth, HESA id, IQTS country, deferral) → update, unless the service says the playbook
  sends nothing (route change, award undo), the trainee is not in a state DQT accepts
  updates for, or it lacks the ITT dates DQT requires (after a route change: the edit that
  re-enters them sends the update). A date of birth goes in the update when DQT allows
  personal-detail updates, as Register sent it; DQT finds the teacher by slug first, so the
  new date still matches.
"""

from __future__ import annotations

from trainees.models import Trainee

from . import jobs, payloads

# What the update sends: the course's subjects, ages and dates, but not its id or phase.
# The study mode and the trainee start date count only through the estimated end date sent
# when there is no ITT end date.
DQT_HELD_FIELDS = frozenset(
    {
        "first_names",
        "middle_names",
        "last_name",
        "date_of_birth",
        "email",
        "sex",
        "hesa_id",
        "state",
        "trn",
        "provider",
        "training_route",
        *Trainee.COURSE_FIELDS,
        "trainee_start_date",
        "iqts_country",
        "degree_institution_uuid",
    }
) - {"course_uuid", "course_education_phase"}
EVENT_JOBS = {
    "submit_for_trn": jobs.register_for_trn,
    "withdraw": jobs.withdraw_trainee,
    "recommend_for_award": jobs.recommend_for_award,
}


def on_trainee_changed(
    sender, *, trainee: Trainee, event: str, changed_fields, send_to_dqt: bool, **_
):
    if not send_to_dqt or not jobs.integration_enabled():
        return
    job = EVENT_JOBS.get(event)
    if job is not None:
        job.enqueue(trainee=trainee, trainee_id=trainee.pk)
        return
    # A foreign key may be named by its column ("provider_id"); "hesa_id" is a field's name.
    fields = {*changed_fields, *(f.removesuffix("_id") for f in changed_fields)}
    if (
        trainee.state in jobs.UPDATABLE_STATES
        and fields & DQT_HELD_FIELDS
        and not payloads.missing_for_update(trainee)
    ):
        jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
