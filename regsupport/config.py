"""Feature flags and integration settings, as the Rails service kept them.

Values come from ``config/settings.yml``, then ``config/settings/<environment>.yml``, then
environment variables named ``SETTINGS__`` + the key path joined by ``__``
(``SETTINGS__FEATURES__SIGN_IN_METHOD=otp`` is ``features.sign_in_method: otp``). Each value
remembers where it came from, so the console can show operators why a flag is on.

Read values through the one accessor, :data:`settings`::

    from regsupport.config import settings
    settings.get("features.integrate_with_dqt")
    settings.features.integrate_with_dqt      # same thing
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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


class SettingNotFound(KeyError):
    def __str__(self) -> str:
        return f"No setting named {self.args[0]!r}. Known top-level keys: {self.args[1]}"


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    source: str

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


class AppSettings:
    def __init__(
        self,
        *,
        environment: str | None = None,
        environ: Mapping[str, str] | None = None,
        config_dir: Path = CONFIG_DIR,
    ):
        self.environment = environment or current_environment()
        self._environ = environ
        self.config_dir = config_dir
        self._entries: dict[str, Setting] | None = None

    def reload(self) -> None:
        self._entries = None

    @property
    def entries(self) -> dict[str, Setting]:
        if self._entries is None:
            self._entries = self._load()
        return self._entries

    def _load(self) -> dict[str, Setting]:
        entries: dict[str, Setting] = {}
        layers = [
            (self.config_dir / "settings.yml", "config/settings.yml"),
            (
                self.config_dir / "settings" / f"{self.environment}.yml",
                f"config/settings/{self.environment}.yml",
            ),
        ]
        for path, label in layers:
            for key, value in _flatten(_read_yaml(path)):
                # A file layer may replace a whole subtree with a scalar; drop the stale leaves.
                for stale in [k for k in entries if k.startswith(f"{key}.")]:
                    del entries[stale]
                entries[key] = Setting(key, value, label)
        environ = os.environ if self._environ is None else self._environ
        for name, raw in sorted(environ.items()):
            if not name.startswith(ENV_PREFIX) or len(name) == len(ENV_PREFIX):
                continue
            key = ".".join(part.lower() for part in name[len(ENV_PREFIX) :].split(ENV_SEPARATOR))
            for stale in [k for k in entries if k.startswith(f"{key}.")]:
                del entries[stale]
            entries[key] = Setting(key, parse_env_value(raw), f"environment variable {name}")
        return entries

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

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        value = self.get(name)
        if isinstance(value, dict):
            return Section(self, f"{name}.")
        return value

    def __iter__(self) -> Iterator[Setting]:
        return iter(sorted(self.entries.values(), key=lambda s: s.key))


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        node = tree
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


settings = AppSettings()
