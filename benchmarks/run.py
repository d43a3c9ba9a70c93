"""`make bench`: run the jobs benchmark against its own database (regsupport_bench) and
Redis database, then the trainee-side benchmark against another (regsupport_bench_trainees:
its million trainees would upset the jobs data), creating the databases when missing.

    python -m benchmarks.run [--regenerate] [--only-trainees] [jobs options]
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
    trainees_url = os.environ.get("BENCH_TRAINEES_DATABASE_URL") or _with_path(
        services.database_url, "/regsupport_bench_trainees"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL") or _with_path(services.redis_url, "/15")
    only_trainees = "--only-trainees" in argv
    argv = [a for a in argv if a != "--only-trainees"]
    # The jobs benchmark's --only-* options run one part of it, and nothing else.
    jobs_only = any(a.startswith("--only-") for a in argv)
    trainee_argv = [a for a in argv if a == "--regenerate"]
    if "--runs" in argv:
        trainee_argv += argv[argv.index("--runs") : argv.index("--runs") + 2]
    runs = []
    if "--analytics" in argv:
        argv = [a for a in argv if a != "--analytics"]
        runs.append((database_url, "bench_analytics", argv))
    elif not only_trainees:
        runs.append((database_url, "bench_jobs", argv))
    if only_trainees or not (jobs_only or runs and runs[0][1] == "bench_analytics"):
        runs.append((trainees_url, "bench_trainees", trainee_argv))
    try:
        for url, command, arguments in runs:
            if (code := _run(url, redis_url, command, arguments)) != 0:
                return code
        return 0
    finally:
        if "redis" in services.started:
            devservices.stop_redis()
        if "postgres" in services.started:
            devservices.stop_postgres()


def _run(database_url: str, redis_url: str, command: str, argv: list[str]) -> int:
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
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env, check=True
    )
    return subprocess.run([python, "manage.py", command, *argv], cwd=BASE_DIR, env=env).returncode


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
