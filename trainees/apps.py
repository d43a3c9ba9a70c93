from django.apps import AppConfig


class TraineesConfig(AppConfig):
    name = "trainees"
    verbose_name = "Trainees"

    def ready(self) -> None:
        from . import fixes  # noqa: F401 - registers the trainee playbook fixes
