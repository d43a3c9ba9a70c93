from django.apps import AppConfig
from django.conf import settings


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        import os

        if settings.ENVIRONMENT == "test" or os.environ.get("REGSUPPORT_TEST_JOB_TYPES") == "1":
            # Tiny job types that the reliability tests run in a real worker process.
            from . import testing  # noqa: F401
