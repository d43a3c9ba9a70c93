"""The console's admin site: the stock Django admin plus a "Console" box on the index
listing tools that are pages rather than models (settings, dead jobs, queues)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse

from .ids import parse_id


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
                "Every effective setting and where it came from; developers change flags.",
            )
        ]
        self.extra_urls: list = []

    def register_tool(self, tool: ConsoleTool, urls: list | None = None) -> None:
        self.console_tools.append(tool)
        self.extra_urls.extend(urls or [])

    def get_urls(self):
        from .sign_in import otp_enter_code
        from .views import setting_change_view, settings_view

        urls = [
            path("login/code/", otp_enter_code, name="login-code"),
            path("settings/", self.admin_view(settings_view), name="console-settings"),
            path(
                "settings/change/<str:key>/",
                self.admin_view(setting_change_view),
                name="console-setting-change",
            ),
            # Before Django's own, which this replaces.
            path(
                "r/<int:content_type_id>/<path:object_id>/",
                self.admin_view(self.view_on_site),
                name="view_on_site",
            ),
        ]
        urls += self.extra_urls
        return urls + super().get_urls()

    def login(self, request, extra_context=None):
        """The login page of the sign-in method in force (``features.sign_in_method``),
        decided on each request, so switching the flag switches this page at once."""
        from . import sign_in

        if request.method == "GET" and self.has_permission(request):
            return super().login(request, extra_context)  # already in: Django redirects
        method = sign_in.current_method()
        if method == "otp":
            return sign_in.otp_request_code(request)
        if method == "persona":
            return sign_in.persona_sign_in(request)
        return super().login(request, extra_context)

    def view_on_site(self, request, content_type_id: int, object_id: str):
        """``/admin/r/<content type>/<id>/`` leads to the record's page in this console
        (no model here has a public page). Django's own view reads the record from any
        model's table, and the console's permissions model has none: a 500."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist:
            model = None
        model_admin = self._registry.get(model) if model is not None else None
        pk = parse_id(unquote(object_id))
        if (
            model_admin is None
            or pk is None
            or not model_admin.has_view_or_change_permission(request)
            or not model_admin.get_queryset(request).filter(pk=pk).exists()
        ):
            raise Http404("There is no such record in the console.")
        opts = model_admin.opts
        return HttpResponseRedirect(
            reverse(f"{self.name}:{opts.app_label}_{opts.model_name}_change", args=[pk])
        )

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
