"""Fill the fake DQT with what the real DQT would hold for Register's trainees.

For ``make run``: without it the fake starts empty and every demo trainee with a TRN would
be "Teacher with specified TRN not found". ``run_fake_dqt --from-register`` calls this once
at start-up.
"""

from __future__ import annotations

from django.utils import timezone

from dqt import payloads
from dqt.comparison import dqt_result_for
from trainees.models import Trainee

from .state import FakeDqtState, teacher_from_trn_request


def mirror_register_trainees(state: FakeDqtState) -> int:
    """Add a DQT record for every kept trainee with a TRN; returns how many."""
    count = 0
    trainees = Trainee.objects.kept().exclude(trn="").select_related("provider")
    for trainee in trainees.iterator():
        state.put_teacher(dqt_record_for(trainee))
        count += 1
    return count


def dqt_record_for(trainee: Trainee) -> dict:
    """DQT's record as the TRN request made it, moved on to the trainee's state. The QTS
    registration follows (dqt.fake.dataverse.default_registrations): without a status once
    withdrawn, qualified once awarded."""
    record = teacher_from_trn_request(payloads.trn_request(trainee), trn=trainee.trn)
    # The date of birth DQT was registered with: a later correction on Register reaches DQT
    # only with an update DQT accepts, and the demo's date-of-birth cases need DQT's old one.
    first = trainee.history.order_by("history_date", "history_id").values("date_of_birth").first()
    if first and first["date_of_birth"]:
        record["dateOfBirth"] = first["date_of_birth"].isoformat()
    row = record["initialTeacherTraining"][0]
    result = dqt_result_for(trainee)
    row["result"] = result
    if result == "Pass" and trainee.awarded_at:
        award_field = "eytsDate" if trainee.is_early_years else "qtsDate"
        record[award_field] = timezone.localdate(trainee.awarded_at).isoformat()
    return record
