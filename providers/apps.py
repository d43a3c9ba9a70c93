from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "providers"
    verbose_name = "Providers and lead partners"

    def ready(self) -> None:
        from . import fixes  # noqa: F401 - registers the provider playbook fix
