"""The fields DQT's requests need (issue 11 §1): HESA id, IQTS country, trainee start date
and outcome date, with the outcome date filled in for trainees already recommended or
awarded (docs/decisions/0005-register-integers-and-outcome-date.md)."""

import dqt.countries
from django.conf import settings
from django.db import migrations, models

RECOMMENDED_FOR_AWARD, AWARDED = 3, 6


def backfill_outcome_date(apps, schema_editor):
    # Awarded: DQT's QTS/EYTS date (awarded_at), which is the date DQT was sent. Recommended:
    # the recommendation day, the date the award job sent until now. History rows get the
    # same rule, so the timeline shows no outcome-date change that never happened.
    for table in ("trainees_trainee", "trainees_historicaltrainee"):
        schema_editor.execute(
            f"UPDATE {table} SET outcome_date = (CASE WHEN state = {AWARDED} "
            "THEN COALESCE(awarded_at, recommended_for_award_at) "
            "ELSE recommended_for_award_at END AT TIME ZONE %s)::date "
            f"WHERE state IN ({RECOMMENDED_FOR_AWARD}, {AWARDED}) AND outcome_date IS NULL",
            [settings.TIME_ZONE],
        )


class Migration(migrations.Migration):
    dependencies = [
        ("trainees", "0004_register_integers"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicaltrainee",
            name="hesa_id",
            field=models.CharField(
                blank=True,
                db_index=True,
                default="",
                help_text="The trainee's HESA unique student identifier (HUSID), sent to DQT as husid",
                max_length=50,
                verbose_name="HESA id",
            ),
        ),
        migrations.AddField(
            model_name="historicaltrainee",
            name="iqts_country",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Where an IQTS trainee trains, as the DfE list of countries names it",
                max_length=255,
                validators=[dqt.countries.validate_iqts_country],
                verbose_name="IQTS country",
            ),
        ),
        migrations.AddField(
            model_name="historicaltrainee",
            name="outcome_date",
            field=models.DateField(
                blank=True,
                help_text="The date the trainee met the QTS or EYTS standards",
                null=True,
                verbose_name="Outcome date",
            ),
        ),
        migrations.AddField(
            model_name="historicaltrainee",
            name="trainee_start_date",
            field=models.DateField(
                blank=True,
                help_text="When the trainee started, if not on the ITT start date",
                null=True,
                verbose_name="Trainee start date",
            ),
        ),
        migrations.AddField(
            model_name="trainee",
            name="hesa_id",
            field=models.CharField(
                blank=True,
                db_index=True,
                default="",
                help_text="The trainee's HESA unique student identifier (HUSID), sent to DQT as husid",
                max_length=50,
                verbose_name="HESA id",
            ),
        ),
        migrations.AddField(
            model_name="trainee",
            name="iqts_country",
            field=models.CharField(
                blank=True,
                default="",
                help_text="Where an IQTS trainee trains, as the DfE list of countries names it",
                max_length=255,
                validators=[dqt.countries.validate_iqts_country],
                verbose_name="IQTS country",
            ),
        ),
        migrations.AddField(
            model_name="trainee",
            name="outcome_date",
            field=models.DateField(
                blank=True,
                help_text="The date the trainee met the QTS or EYTS standards",
                null=True,
                verbose_name="Outcome date",
            ),
        ),
        migrations.AddField(
            model_name="trainee",
            name="trainee_start_date",
            field=models.DateField(
                blank=True,
                help_text="When the trainee started, if not on the ITT start date",
                null=True,
                verbose_name="Trainee start date",
            ),
        ),
        migrations.RunPython(backfill_outcome_date, migrations.RunPython.noop),
    ]
