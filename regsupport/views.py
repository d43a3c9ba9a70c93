from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.template.response import TemplateResponse

from .config import settings as app_settings


@permission_required("regsupport.view_settings", raise_exception=True)
def settings_view(request):
    """Every effective setting with where it came from (file or environment variable)."""
    app_settings.reload()
    context = {
        **admin.site.each_context(request),
        "title": "Settings and feature flags",
        "environment": app_settings.environment,
        "entries": list(app_settings),
    }
    return TemplateResponse(request, "admin/settings.html", context)
