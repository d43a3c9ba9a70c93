"""Feature flags and integration settings, as the Rails service kept them.

Values come from ``config/settings.yml``, then ``config/settings/<environment>.yml``, then
environment variables named ``SETTINGS__`` + the key path joined by ``__``
(``SETTINGS__FEATURES__SIGN_IN_METHOD=otp`` is ``features.sign_in_method: otp``). Each value
remembers where it came from, so the console can show operators why a flag is on.

Developers also change feature flags (``features.*``) from the console's settings page or
the shell; those values live in PostgreSQL (``regsupport.flags``), win over the files and lose
to an environment variable. Every process reads them again every
``CONSOLE_REFRESH_SECONDS``, so a change reaches web, worker and beat without a restart.

Read values through the one accessor, :data:`settings`::

    from regsupport.config import settings
    settings.get("features.integrate_with_dqt")
    settings.features.integrate_with_dqt      # same thing
    settings.set("features.maintenance_mode", True, actor="ann", reason="DQT outage")
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

# Without REGSUPPORT_ENV a process runs with production's settings, which fail closed
# (regsupport/settings.py); `make run`, `make test` and `make bench` set their own.
DEFAULT_ENVIRONMENT = "production"
ENV_PREFIX = "SETTINGS__"
ENV_SEPARATOR = "__"
BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG_DIR = BASE_DIR / "config"
SECRET_WORDS = ("key", "secret", "password", "token", "webhook_url")
# A console change is seen by every process within this many seconds (plus one query's
# time); the promise on the settings page is 10 s.
CONSOLE_REFRESH_SECONDS = 5.0
CONSOLE_SOURCE = "console"


class SettingNotFound(KeyError):
    def __str__(self) -> str:
        return f"No setting named {self.args[0]!r}. Known top-level keys: {self.args[1]}"


@dataclass(frozen=True)
class ConsoleValue:
    """A value set from the console or the shell, and who set it when."""

    value: Any
    changed_by: str
    changed_at: datetime


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    source: str
    # Set when the source is the console: who set it and when.
    console: ConsoleValue | None = None
    # A console value that an environment variable hides (the variable wins).
    hidden_console: ConsoleValue | None = None

    @property
    def source_kind(self) -> str:
        """``file``, ``console`` or ``environment``."""
        if self.source == CONSOLE_SOURCE:
            return "console"
        if self.source.startswith("environment variable"):
            return "environment"
        return "file"

    @property
    def is_secret(self) -> bool:
        last = self.key.rsplit(".", 1)[-1]
        return any(word in last for word in SECRET_WORDS)

    @property
    def env_name(self) -> str:
        return ENV_PREFIX + self.key.upper().replace(".", ENV_SEPARATOR)

    @property
    def display_value(self) -> str:
        if self.is_secret and self.value not in (None, ""):
            return "•••••• (set)"
        return (
            yaml.safe_dump(self.value, default_flow_style=True).strip().removesuffix("...").strip()
        )


def parse_env_value(raw: str) -> Any:
    """``true``/``false``, integers, floats and null are parsed; anything else stays text."""
    lowered = raw.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "nil", "~"):
        return None
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            pass
    return raw


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for name, value in tree.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping) and value:
            yield from _flatten(value, f"{key}.")
        else:
            yield key, value


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open() as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a mapping at the top level")
    return data


class Section:
    """Attribute access over a subtree: ``settings.features.integrate_with_dqt``."""

    def __init__(self, config: AppSettings, prefix: str):
        self._config = config
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        value = self._config.get(f"{self._prefix}{name}")
        if isinstance(value, dict):
            return Section(self._config, f"{self._prefix}{name}.")
        return value

    def __repr__(self) -> str:
        return f"<settings section {self._prefix.rstrip('.') or '(root)'}>"


def current_environment() -> str:
    """``development``, ``test`` or ``production``: ``REGSUPPORT_ENV``, production if unset."""
    return os.environ.get("REGSUPPORT_ENV") or DEFAULT_ENVIRONMENT


ConsoleReader = Callable[[], "Mapping[str, ConsoleValue] | None"]


class AppSettings:
    def __init__(
        self,
        *,
        environment: str | None = None,
        environ: Mapping[str, str] | None = None,
        config_dir: Path = CONFIG_DIR,
        console: ConsoleReader | None = None,
        refresh_seconds: float = CONSOLE_REFRESH_SECONDS,
    ):
        self.environment = environment or current_environment()
        self._environ = environ
        self.config_dir = config_dir
        # Reads the console's values; None (files and environment only) for a settings
        # object built in a test or before Django is set up.
        self._console = console
        self.refresh_seconds = refresh_seconds
        self._layers: tuple[dict[str, Setting], dict[str, Setting]] | None = None
        self._console_values: Mapping[str, ConsoleValue] = {}
        self._console_read_at: float | None = None
        self._entries: dict[str, Setting] | None = None

    def reload(self) -> None:
        """Read the files, the environment and the console again on the next access."""
        self._layers = None
        self.refresh_console()

    def refresh_console(self) -> None:
        """Read the console's values again on the next access (after a change here)."""
        self._console_read_at = None
        self._entries = None

    @property
    def entries(self) -> dict[str, Setting]:
        if self._console is not None:
            now = time.monotonic()
            if self._console_read_at is None or now - self._console_read_at >= self.refresh_seconds:
                # Tried again only after the refresh interval even when the read failed, so
                # a database outage costs one failed query per interval, not one per read.
                self._console_read_at = now
                values = self._console()
                if values is not None and values != self._console_values:
                    self._console_values = dict(values)
                    self._entries = None
        if self._entries is None:
            self._entries = self._merge()
        return self._entries

    def _read_layers(self) -> tuple[dict[str, Setting], dict[str, Setting]]:
        """The files' entries, then the environment variables' (read once, until reload)."""
        files: dict[str, Setting] = {}
        layers = [
            (self.config_dir / "settings.yml", "config/settings.yml"),
            (
                self.config_dir / "settings" / f"{self.environment}.yml",
                f"config/settings/{self.environment}.yml",
            ),
        ]
        for path, label in layers:
            for key, value in _flatten(_read_yaml(path)):
                _replace_subtree(files, key, Setting(key, value, label))
        variables: dict[str, Setting] = {}
        environ = os.environ if self._environ is None else self._environ
        for name, raw in sorted(environ.items()):
            if not name.startswith(ENV_PREFIX) or len(name) == len(ENV_PREFIX):
                continue
            key = ".".join(part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_SEPARATOR))
            variables[key] = Setting(key, parse_env_value(raw), f"environment variable {name}")
        return files, variables

    def _merge(self) -> dict[str, Setting]:
        if self._layers is None:
            self._layers = self._read_layers()
        files, variables = self._layers
        entries = dict(files)
        for key, console in self._console_values.items():
            # Only keys the files define: a value for a key since removed does nothing.
            if key in files:
                entries[key] = Setting(key, console.value, CONSOLE_SOURCE, console=console)
        for key, setting in variables.items():
            hidden = entries[key].console if key in entries else None
            _replace_subtree(entries, key, replace(setting, hidden_console=hidden))
        return entries

    def file_entries(self) -> dict[str, Setting]:
        """What the files alone say (the value a cleared console setting falls back to)."""
        if self._layers is None:
            self._layers = self._read_layers()
        return self._layers[0]

    def environment_entries(self) -> dict[str, Setting]:
        """What the ``SETTINGS__`` environment variables say."""
        if self._layers is None:
            self._layers = self._read_layers()
        return self._layers[1]

    def get(self, key: str, default: Any = ...) -> Any:
        entries = self.entries
        if key in entries:
            return entries[key].value
        prefix = f"{key}."
        subtree = {k[len(prefix) :]: s.value for k, s in entries.items() if k.startswith(prefix)}
        if subtree:
            return _unflatten(subtree)
        if default is not ...:
            return default
        raise SettingNotFound(key, sorted({k.split(".")[0] for k in entries}))

    def source(self, key: str) -> str:
        return self.entries[key].source

    def enabled(self, feature: str) -> bool:
        """``settings.enabled("integrate_with_dqt")`` – FeatureService.enabled? in the old app."""
        return bool(self.get(f"features.{feature}", False))

    def set(self, key: str, value: Any, *, actor: Any, reason: str) -> Setting:
        """Set a feature flag from the shell, as the console's settings page does: audited
        with ``actor`` (a user or a username) and ``reason``; every process sees it within
        ``CONSOLE_REFRESH_SECONDS``. Gives the setting now in effect (an environment
        variable still wins; its ``hidden_console`` then shows the value just set)."""
        from .flags import console_setting_set

        console_setting_set(key=key, value=value, actor=actor, reason=reason)
        return self.entries[key]

    def clear(self, key: str, *, actor: Any, reason: str) -> Setting:
        """Remove the console's value of ``key``: the files (or environment) decide again."""
        from .flags import console_setting_clear

        console_setting_clear(key=key, actor=actor, reason=reason)
        return self.entries[key]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self.get(name)
        if isinstance(value, dict):
            return Section(self, f"{name}.")
        return value

    def __iter__(self) -> Iterator[Setting]:
        return iter(sorted(self.entries.values(), key=lambda s: s.key))


def _replace_subtree(entries: dict[str, Setting], key: str, setting: Setting) -> None:
    """A layer may replace a whole subtree with a scalar: drop the stale leaves."""
    for stale in [k for k in entries if k.startswith(f"{key}.")]:
        del entries[stale]
    entries[key] = setting


def _read_console() -> Mapping[str, ConsoleValue] | None:
    """The console's values from PostgreSQL, once Django is set up (None before, or when
    the database cannot answer: the last values read stay in effect)."""
    from django.apps import apps

    if not apps.ready:
        return None
    from .flags import console_values

    return console_values()


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


settings = AppSettings(console=_read_console)
