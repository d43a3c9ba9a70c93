"""Playbook "Changing training route" (Register's RouteDataManager)."""

from __future__ import annotations

from typing import Any

from dqt.payloads import PROGRAMME_TYPES
from regsupport.fixes import FixPlan
from regsupport.ids import parse_number

from ..errors import TraineeError
from ..models import Trainee
from .base import change_trainee, preview_changes, refuse_discarded

# What a new training route makes stale (register-domain.md §2).
ROUTE_CLEARED_FIELDS = Trainee.COURSE_FIELDS + Trainee.FUNDING_AND_PLACEMENT_FIELDS
# Only a draft's progress is reset: a submitted trainee keeps its "section complete" flags.
ROUTE_RESET_PROGRESS = ("course_details", "funding", "placements")
EARLY_YEARS_COURSE = {
    "course_subject_one": "early years teaching",
    "course_min_age": 0,
    "course_max_age": 5,
    "course_education_phase": Trainee.CourseEducationPhase.EARLY_YEARS,
}


def parse_route(route: Any) -> Trainee.TrainingRoute:
    """A route by value (``4``) or by name (``"school_direct_salaried"``)."""
    if isinstance(route, str) and parse_number(route) is None:
        name = route.strip().upper()
        if name in Trainee.TrainingRoute.names:
            return Trainee.TrainingRoute[name]
    else:
        try:
            return Trainee.TrainingRoute(int(route))
        except (TypeError, ValueError):
            pass
    known = ", ".join(r.name.lower() for r in Trainee.TrainingRoute)
    raise TraineeError(f"'{route}' is not a training route. Use one of: {known}.")


def check_change_training_route(*, trainee: Trainee, route: Any = None) -> None:
    """Refuse a discarded trainee, and a route the trainee is already on."""
    refuse_discarded(trainee)
    if route is not None and trainee.training_route == parse_route(route):
        raise TraineeError(
            f"{trainee.full_name} is already on the {parse_route(route).label} route; "
            "nothing to change."
        )


def _apply_route(trainee: Trainee, route: Trainee.TrainingRoute) -> None:
    trainee.training_route = route
    for name in ROUTE_CLEARED_FIELDS:
        setattr(trainee, name, None)
    if trainee.state == Trainee.State.DRAFT:
        progress = dict(trainee.progress or {})
        for key in ROUTE_RESET_PROGRESS:
            progress[key] = False
        trainee.progress = progress
    if route in Trainee.EARLY_YEARS_ROUTES:
        for name, value in EARLY_YEARS_COURSE.items():
            setattr(trainee, name, value)


def trainee_change_training_route_plan(*, trainee: Trainee, route: Any) -> FixPlan:
    route = parse_route(route)
    check_change_training_route(trainee=trainee, route=route)
    plan = FixPlan(changes=preview_changes(trainee, lambda t: _apply_route(t, route)))
    plan.notes += _dqt_notes(trainee, route)
    cleared = [
        c.label
        for c in plan.changes
        if not isinstance(c, str) and c.field in ROUTE_CLEARED_FIELDS and c.new == "—"
    ]
    if cleared:
        plan.notes.append("Ask the provider to re-enter: " + ", ".join(cleared) + ".")
    return plan


def _dqt_notes(trainee: Trainee, route: Trainee.TrainingRoute) -> list[str]:
    """What DQT will make of the new route: nothing is sent now, and the trainee's next update
    (Register sends updates for TRN received and deferred trainees) carries it."""
    notes = ["Nothing is sent to DQT now: a route change is not sent by itself."]
    if not trainee.trn or trainee.state not in (
        Trainee.State.TRN_RECEIVED,
        Trainee.State.DEFERRED,
    ):
        return notes
    if PROGRAMME_TYPES.get(route) is None:
        notes.append(
            f"DQT's API has no programme type for the {route.label} route, so no update of "
            "this trainee can go to DQT after this change: each is refused before DQT is "
            "called. DQT keeps the training as it is."
        )
        return notes
    if (route in Trainee.EARLY_YEARS_ROUTES) != trainee.is_early_years:
        notes.append(
            "DQT will refuse this route: it never turns an early-years training into another, "
            "or back (“ProgrammeType cannot be changed”). DQT keeps the "
            f"{trainee.get_training_route_display()} training and refuses every later update "
            "of this trainee, until the DQT team closes that training and opens one on the "
            "new route."
        )
    notes.append(
        "The trainee's next update waits until the cleared ITT start and end dates are "
        "re-entered; it then takes the new route to DQT (or use “Send update to DQT” on the "
        "trainee's page)."
    )
    return notes


def trainee_change_training_route(
    *, trainee: Trainee, route: Any, reason: str, actor: Any
) -> Trainee:
    """Set the route and clear what it makes stale; nothing is sent to DQT."""
    route = parse_route(route)
    return change_trainee(
        trainee=trainee,
        event="change_training_route",
        reason=reason,
        actor=actor,
        send_to_dqt=False,
        check=lambda t: check_change_training_route(trainee=t, route=route),
        change=lambda t: _apply_route(t, route),
    )
