from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from . import flags
from .config import CONSOLE_REFRESH_SECONDS
from .config import settings as app_settings
from .errors import Refusal


def _display(value: Any) -> str:
    # The page shows values as the files and environment variables spell them.
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


@permission_required("regsupport.view_settings", raise_exception=True)
def settings_view(request):
    """Every effective setting with where it came from (file, console or environment
    variable), and the console's recent changes. Developers change feature flags here."""
    app_settings.reload()
    can_change = request.user.has_perm("regsupport.change_settings")
    rows = [
        {
            "entry": entry,
            "changeable": can_change and flags.changeable(entry.key),
            "hidden_console": entry.hidden_console and _display(entry.hidden_console.value),
        }
        for entry in app_settings
    ]
    context = {
        **admin.site.each_context(request),
        "title": "Settings and feature flags",
        "environment": app_settings.environment,
        "rows": rows,
        "changes": [
            {"change": change, "old": _display(change.old), "new": _display(change.new)}
            for change in flags.recent_changes()
        ],
        "refresh_seconds": int(CONSOLE_REFRESH_SECONDS),
    }
    return TemplateResponse(request, "admin/settings.html", context)


class SettingChangeForm(forms.Form):
    value = forms.CharField(label="New value", required=False)
    reason = forms.CharField(
        label="Reason",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Kept in the change history with your name, the time and the old value.",
    )

    def __init__(self, *args: Any, key: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = flags.choices(key)
        if choices is not None:
            self.fields["value"] = forms.ChoiceField(
                label="New value", choices=[(_display(c), _display(c)) for c in choices]
            )


@permission_required("regsupport.change_settings", raise_exception=True)
def setting_change_view(request, key: str):
    """Set a feature flag's console value, or clear it (the files decide again)."""
    app_settings.reload()
    if not flags.changeable(key):
        raise Http404("Only feature flags that config/settings.yml defines can be changed.")
    entry = app_settings.entries[key]
    form = SettingChangeForm(
        request.POST or None, key=key, initial={"value": _display(entry.value)}
    )
    if request.method == "POST" and form.is_valid():
        clearing = "clear" in request.POST
        try:
            if clearing:
                flags.console_setting_clear(
                    key=key, actor=request.user, reason=form.cleaned_data["reason"]
                )
            else:
                flags.console_setting_set(
                    key=key,
                    value=form.cleaned_data["value"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
        except Refusal as refusal:
            form.add_error(None, str(refusal))
        else:
            app_settings.reload()
            now = app_settings.entries[key]
            if now.source_kind == "environment":
                messages.warning(
                    request,
                    f"Saved, but {now.env_name} is set and wins: {key} stays "
                    f"{_display(now.value)} until that environment variable is removed.",
                )
            else:
                messages.success(
                    request,
                    f"Saved: {key} is now {_display(now.value)} (from {now.source}). Every web, "
                    f"worker and beat process uses it within {int(CONSOLE_REFRESH_SECONDS) * 2} s.",
                )
            return HttpResponseRedirect(reverse("admin:console-settings"))
    context = {
        **admin.site.each_context(request),
        "title": f"Change {key}",
        "entry": entry,
        "current": _display(entry.value),
        "hidden_console": entry.hidden_console and _display(entry.hidden_console.value),
        "has_console_value": entry.console is not None or entry.hidden_console is not None,
        "form": form,
    }
    return TemplateResponse(request, "admin/setting_change.html", context)
