"""Training initiative and study mode take Register's integers (issue 11 §1).

Stored values are moved by meaning, in the trainees and in their history rows, so the
timeline of an old change still shows the label that was chosen then. See
docs/decisions/0005-register-integers-and-outcome-date.md.
"""

from django.db import migrations, models

# old integer -> Register's integer, by meaning; values not listed keep their number.
INITIATIVES = {
    0: 3,  # transition to teach
    1: 2,  # now teach
    2: 1,  # maths and physics chairs / researchers in schools
    3: 0,  # future teaching scholars
    8: 9,  # primary mathematics specialist
}
STUDY_MODES = {0: 1, 1: 0}  # full time, part time
TABLES = ("trainees_trainee", "trainees_historicaltrainee")


def _remap(schema_editor, column, mapping):
    cases = " ".join(f"WHEN {old} THEN {new}" for old, new in mapping.items())
    keys = ", ".join(str(old) for old in mapping)
    for table in TABLES:
        schema_editor.execute(
            f"UPDATE {table} SET {column} = CASE {column} {cases} END WHERE {column} IN ({keys})"
        )


def to_register_integers(apps, schema_editor):
    _remap(schema_editor, "training_initiative", INITIATIVES)
    _remap(schema_editor, "study_mode", STUDY_MODES)


def to_old_integers(apps, schema_editor):
    # Abridged ITT course (8) and additional PE place (10) had no old number: they are cleared.
    for table in TABLES:
        schema_editor.execute(
            f"UPDATE {table} SET training_initiative = NULL WHERE training_initiative IN (8, 10)"
        )
    _remap(schema_editor, "training_initiative", {new: old for old, new in INITIATIVES.items()})
    _remap(schema_editor, "study_mode", {new: old for old, new in STUDY_MODES.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("trainees", "0003_playbook_permission_moves_to_regsupport"),
    ]

    operations = [
        migrations.AlterField(
            model_name="historicaltrainee",
            name="study_mode",
            field=models.IntegerField(
                blank=True, choices=[(0, "Part time"), (1, "Full time")], null=True
            ),
        ),
        migrations.AlterField(
            model_name="historicaltrainee",
            name="training_initiative",
            field=models.IntegerField(
                blank=True,
                choices=[
                    (0, "Future Teaching Scholars"),
                    (1, "Maths and Physics Chairs programme / Researchers in Schools"),
                    (2, "Now Teach"),
                    (3, "Transition to Teach"),
                    (4, "Not on a training initiative"),
                    (5, "Troops to Teachers"),
                    (6, "Veteran teaching undergraduate bursary"),
                    (7, "International Relocation Payment"),
                    (8, "Abridged ITT course"),
                    (9, "Primary mathematics specialist"),
                    (10, "Additional ITT place for PE with a priority subject"),
                ],
                null=True,
            ),
        ),
        migrations.AlterField(
            model_name="trainee",
            name="study_mode",
            field=models.IntegerField(
                blank=True, choices=[(0, "Part time"), (1, "Full time")], null=True
            ),
        ),
        migrations.AlterField(
            model_name="trainee",
            name="training_initiative",
            field=models.IntegerField(
                blank=True,
                choices=[
                    (0, "Future Teaching Scholars"),
                    (1, "Maths and Physics Chairs programme / Researchers in Schools"),
                    (2, "Now Teach"),
                    (3, "Transition to Teach"),
                    (4, "Not on a training initiative"),
                    (5, "Troops to Teachers"),
                    (6, "Veteran teaching undergraduate bursary"),
                    (7, "International Relocation Payment"),
                    (8, "Abridged ITT course"),
                    (9, "Primary mathematics specialist"),
                    (10, "Additional ITT place for PE with a priority subject"),
                ],
                null=True,
            ),
        ),
        migrations.RunPython(to_register_integers, to_old_integers),
    ]
