"""Every change to trainees, written once: one module per playbook
fix, ``records`` for the records service's own steps, ``base`` for what they share.

Each function takes keyword-only arguments, a required ``reason`` and the acting staff user
(``actor``; None from the shell), runs in one transaction, records both on the history rows
it writes, and raises :class:`~trainees.errors.TraineeError` (a
:class:`~regsupport.errors.Refusal`) with a message for a support agent when it refuses –
in which case nothing has changed. The console (``trainees/fixes.py``), the management
commands and ``manage.py shell`` all call these functions::

    from trainees.services import trainee_unwithdraw
    trainee_unwithdraw(trainee=t, reason="Withdrawn in error, ticket 1234", actor=None)

Functions named ``*_plan`` only read: they say exactly what the fix would change and are
what the confirmation pages show.
"""

from .change_training_route import (
    ROUTE_CLEARED_FIELDS,
    check_change_training_route,
    parse_route,
    trainee_change_training_route,
    trainee_change_training_route_plan,
)
from .delete_record import (
    ANOTHER_REASON,
    DELETE_REASONS,
    check_delete,
    check_restore,
    trainee_delete,
    trainee_delete_plan,
    trainee_restore,
    trainee_restore_plan,
)
from .former_provider import former_provider_of, trainee_create_for_former_provider
from .records import (
    trainee_defer,
    trainee_recommend_for_award,
    trainee_submit_for_trn,
    trainee_update,
    trainee_withdraw,
)
from .remove_duplicates import (
    DuplicateRemoval,
    DuplicateRow,
    parse_duplicates_csv,
    trainees_remove_duplicates,
)
from .revert_award import check_revert_award, trainee_revert_award, trainee_revert_award_plan
from .unwithdraw import check_unwithdraw, trainee_unwithdraw, trainee_unwithdraw_plan

__all__ = [
    "ANOTHER_REASON",
    "DELETE_REASONS",
    "ROUTE_CLEARED_FIELDS",
    "DuplicateRemoval",
    "DuplicateRow",
    "check_change_training_route",
    "check_delete",
    "check_restore",
    "check_revert_award",
    "check_unwithdraw",
    "former_provider_of",
    "parse_duplicates_csv",
    "parse_route",
    "trainee_change_training_route",
    "trainee_change_training_route_plan",
    "trainee_create_for_former_provider",
    "trainee_defer",
    "trainee_delete",
    "trainee_delete_plan",
    "trainee_recommend_for_award",
    "trainee_revert_award",
    "trainee_restore",
    "trainee_restore_plan",
    "trainee_revert_award_plan",
    "trainee_submit_for_trn",
    "trainee_unwithdraw",
    "trainee_unwithdraw_plan",
    "trainee_update",
    "trainee_withdraw",
    "trainees_remove_duplicates",
]
