"""Withdrawal reason names, as Register seeded them (legacy, 2023 and current sets)."""

LEGACY = [
    "death",
    "did_not_pass_assessment",
    "did_not_pass_exams",
    "exclusion",
    "personal_reasons",
    "transferred_to_another_provider",
    "written_off_after_lapse_of_time",
]
LEGACY_2023 = [
    "course_was_not_suitable",
    "family_problems",
    "financial_problems",
    "got_a_job",
    "problems_with_their_health",
    "unhappy_with_course_provider_or_employing_school",
]
CURRENT = [
    "unacceptable_behaviour",
    "lack_of_progress_during_placements",
    "did_not_make_progress",
    "could_not_give_enough_time",
    "did_not_meet_entry_requirements",
    "teaching_placement_problems",
    "does_not_want_to_become_a_teacher",
    "stopped_responding_to_messages",
    "record_added_in_error",
    "mandatory_reasons",
    "not_meeting_qts_standards",
    "change_in_personal_or_health_circumstances",
    "never_intended_to_obtain_qts",
    "moved_to_different_itt_course",
    "had_to_withdraw_trainee_another_reason",
    "trainee_chose_to_withdraw_another_reason",
    "trainee_workload_issues",
    "another_reason",
    "unknown",
    "safeguarding_concerns",
]
ALL = LEGACY + LEGACY_2023 + CURRENT
