"""`make bench`: run the jobs benchmark against its own database (regsupport_bench) and
Redis database, creating the database when missing.

    python -m benchmarks.run [--regenerate]
    python -m benchmarks.run --analytics [--requests N]   # the analytics stream's cost
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=path))


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(BASE_DIR))
    from regsupport import devservices

    services = devservices.ensure()
    database_url = os.environ.get("BENCH_DATABASE_URL") or _with_path(
        services.database_url, "/regsupport_bench"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL") or _with_path(services.redis_url, "/15")
    _create_database(database_url)
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="benchmarks.settings",
        REGSUPPORT_ENV="development",
        PYTHONUNBUFFERED="1",
    )
    python = sys.executable
    try:
        subprocess.run(
            [python, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
        )
        command = "bench_jobs"
        if "--analytics" in argv:
            command = "bench_analytics"
            argv = [a for a in argv if a != "--analytics"]
        return subprocess.run(
            [python, "manage.py", command, *argv], cwd=BASE_DIR, env=env
        ).returncode
    finally:
        if "redis" in services.started:
            devservices.stop_redis()
        if "postgres" in services.started:
            devservices.stop_postgres()


def _create_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
