from django.db import migrations


class Migration(migrations.Migration):
    # The permission row itself is moved, with its grants, by regsupport's 0003.
    dependencies = [("trainees", "0002_seed_withdrawal_reasons")]
    operations = [
        migrations.AlterModelOptions(name="trainee", options={"ordering": ["-created_at"]}),
    ]
