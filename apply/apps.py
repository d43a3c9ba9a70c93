from django.apps import AppConfig


class ApplyConfig(AppConfig):
    name = "apply"
    verbose_name = "Apply"

    def ready(self) -> None:
        from jobs import diagnosis

        from . import jobs  # noqa: F401 - the job types register themselves
        from .diagnosis import diagnose_apply_job

        diagnosis.register(diagnose_apply_job)
