from django.db import migrations

from trainees.withdrawal_reasons import ALL


def seed(apps, schema_editor):
    WithdrawalReason = apps.get_model("trainees", "WithdrawalReason")
    for name in ALL:
        WithdrawalReason.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("trainees", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
