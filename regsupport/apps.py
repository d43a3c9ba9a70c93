from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class RegsupportConfig(AppConfig):
    name = "regsupport"
    verbose_name = "Console"

    def ready(self) -> None:
        from . import roles

        # Keep the role groups' permissions in step as apps add models in later migrations.
        post_migrate.connect(roles.sync_role_permissions_after_migrate, sender=self)


class ConsoleAdminConfig(AdminConfig):
    default_site = "regsupport.admin_site.ConsoleAdminSite"
