"""The console's admin site: the stock Django admin plus a "Console" box on the index
listing tools that are pages rather than models (settings, dead jobs, queues)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.urls import path, reverse


@dataclass(frozen=True)
class ConsoleTool:
    label: str
    url_name: str
    permission: str
    help: str = ""


class ConsoleAdminSite(admin.AdminSite):
    site_header = "regsupport console"
    site_title = "regsupport"
    index_title = "Support console"
    # Lists of trainees and jobs are wide; the sidebar would squeeze their columns.
    enable_nav_sidebar = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.console_tools: list[ConsoleTool] = [
            ConsoleTool(
                "Settings and feature flags",
                "admin:console-settings",
                "regsupport.view_settings",
                "Every effective setting and where it came from.",
            )
        ]
        self.extra_urls: list = []

    def register_tool(self, tool: ConsoleTool, urls: list | None = None) -> None:
        self.console_tools.append(tool)
        self.extra_urls.extend(urls or [])

    def get_urls(self):
        from .views import settings_view

        urls = [path("settings/", self.admin_view(settings_view), name="console-settings")]
        urls += self.extra_urls
        return urls + super().get_urls()

    def index(self, request, extra_context=None):
        extra_context = dict(extra_context or {})
        extra_context["console_tools"] = [
            {"label": t.label, "url": reverse(t.url_name), "help": t.help}
            for t in self.console_tools
            if request.user.has_perm(t.permission)
        ]
        return super().index(request, extra_context)


def console_site() -> ConsoleAdminSite:
    """``admin.site`` as the console's site (``regsupport.apps.ConsoleAdminConfig`` makes it
    one), for registering tools and URLs."""
    site = admin.site
    if not isinstance(site, ConsoleAdminSite):
        raise ImproperlyConfigured("admin.site is not the console's ConsoleAdminSite.")
    return site
