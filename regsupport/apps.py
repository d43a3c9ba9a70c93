from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate


class RegsupportConfig(AppConfig):
    name = "regsupport"
    verbose_name = "Console"

    def ready(self) -> None:
        from . import flags, roles

        # Keep the role groups' permissions in step as apps add models in later migrations.
        post_migrate.connect(roles.sync_role_permissions_after_migrate, sender=self)
        # A value the files or the environment give that this environment must not run
        # with (persona sign-in in production) stops every process at start.
        if problems := flags.check_start_up_values():
            raise ImproperlyConfigured(" ".join(problems))


class ConsoleAdminConfig(AdminConfig):
    default_site = "regsupport.admin_site.ConsoleAdminSite"
