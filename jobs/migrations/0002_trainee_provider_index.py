# The dead-jobs provider filter turns a provider into its trainee ids; with (provider_id, id)
# that is an index-only scan (well under a millisecond) instead of visiting thousands of
# trainee rows. The index lives on the trainees table but serves only the jobs console.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("trainees", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS jobs_trainee_provider_covering "
            "ON trainees_trainee (provider_id, id)",
            "DROP INDEX IF EXISTS jobs_trainee_provider_covering",
        )
    ]
