"""What sends a trainee to DQT: listeners on ``trainees.signals.trainee_changed``.

Runs inside the service's transaction, so the job rows roll back with the change and
nothing is sent for a change that did not happen (jobs publish on commit).

* submitted for TRN → register for TRN (which then polls for the TRN);
* withdrawn → withdraw on DQT; recommended for award → recommend for award;
* any other change DQT holds (training, degree, provider, names, deferral) → update,
  unless the service says the playbook sends nothing (route change, award undo) or the
  trainee is not in a state DQT accepts updates for. A date-of-birth change alone is not
  sent: DQT matches the teacher by it, so it cannot be changed through the API.
"""

from __future__ import annotations

from trainees.models import Trainee

from . import jobs

# DQT holds the course's subjects, ages and dates, but not its id, phase or study mode.
DQT_HELD_FIELDS = frozenset(
    {
        "first_names",
        "middle_names",
        "last_name",
        "email",
        "sex",
        "state",
        "trn",
        "provider",
        "training_route",
        *Trainee.COURSE_FIELDS,
        "degree_institution_uuid",
    }
) - {"course_uuid", "course_education_phase", "study_mode"}
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
    fields = {f.removesuffix("_id") for f in changed_fields}
    if trainee.state in jobs.UPDATABLE_STATES and (fields & DQT_HELD_FIELDS):
        jobs.update_trainee.enqueue(trainee=trainee, trainee_id=trainee.pk)
