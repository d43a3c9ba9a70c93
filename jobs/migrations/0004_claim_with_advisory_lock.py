"""Claiming a job takes an advisory lock and reads the row; it no longer writes `running`
(see jobs/ledger.py). ``jobs_claim`` does both in one round trip, the read with a snapshot
taken after the lock; rows left `running` by the old claim wait again."""

from django.db import migrations

CLAIM_FUNCTION = """
CREATE OR REPLACE FUNCTION jobs_claim(
    p_id bigint, p_release bigint, p_ordered text[], p_runnable_now text[],
    p_runnable_when_due text[])
RETURNS SETOF jobs_job
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- The lock this session kept after its last success (see jobs/ledger.py).
    IF p_release IS NOT NULL THEN
        PERFORM pg_advisory_unlock(p_release);
    END IF;
    -- Another session runs this job: the message is a duplicate.
    IF NOT pg_try_advisory_lock(p_id) THEN
        RETURN;
    END IF;
    -- VOLATILE: this query's snapshot is taken now, after the lock, so it sees every
    -- outcome committed by the lock's earlier holders.
    RETURN QUERY
        SELECT j.* FROM jobs_job j
        WHERE j.id = p_id
          AND (j.state = ANY(p_runnable_now)
               OR (j.state = ANY(p_runnable_when_due) AND j.run_after <= statement_timestamp()))
          -- No earlier unfinished job of the same trainee in the same queue holds it back.
          AND (j.trainee_id IS NULL OR NOT (j.task_name = ANY(p_ordered)) OR NOT EXISTS (
                SELECT 1 FROM jobs_job e
                WHERE e.trainee_id = j.trainee_id AND e.queue = j.queue AND e.id < j.id
                  AND e.state NOT IN ('succeeded', 'discarded')));
    IF NOT FOUND THEN
        PERFORM pg_advisory_unlock(p_id);
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("jobs", "0003_dead_jobs_by_trainee_and_age")]

    operations = [
        migrations.RunSQL(
            CLAIM_FUNCTION,
            reverse_sql="DROP FUNCTION IF EXISTS jobs_claim(bigint, bigint, text[], text[], text[])",
        ),
        migrations.RunSQL(
            "UPDATE jobs_job SET state = 'enqueued', enqueued_at = statement_timestamp() "
            "WHERE state = 'running'",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
