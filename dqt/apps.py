from django.apps import AppConfig


class DqtConfig(AppConfig):
    name = "dqt"
    verbose_name = "DQT"

    def ready(self) -> None:
        from jobs import diagnosis
        from jobs.models import Job
        from regsupport.admin_site import console_site
        from regsupport.fix_admin import fix_urls
        from regsupport.fixes import fixes_for
        from trainees.signals import trainee_changed

        from . import fixes, jobs, triggers  # noqa: F401 - jobs and fixes register themselves
        from .diagnosis import diagnose_dqt_job

        trainee_changed.connect(triggers.on_trainee_changed, dispatch_uid="dqt-triggers")
        diagnosis.register(diagnose_dqt_job)
        # The fixes' pages hang off the DQT part of the console; the diagnosis links to them.
        site = console_site()
        site.extra_urls.extend(fix_urls(fixes_for(Job), site=site, prefix="dqt/jobs/"))
