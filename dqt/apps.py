from django.apps import AppConfig


class DqtConfig(AppConfig):
    name = "dqt"
    verbose_name = "DQT"

    def ready(self) -> None:
        from jobs import diagnosis
        from regsupport.admin_site import console_site
        from trainees.signals import trainee_changed

        from . import admin_views, jobs, triggers  # noqa: F401 - jobs registers the job types
        from .diagnosis import diagnose_dqt_job

        trainee_changed.connect(triggers.on_trainee_changed, dispatch_uid="dqt-triggers")
        diagnosis.register(diagnose_dqt_job)
        console_site().extra_urls.extend(admin_views.urls())
