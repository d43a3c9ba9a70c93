"""``manage.py dqtworker``: the worker for the queues whose jobs wait on HTTP (``dqt`` and
``apply``), as Celery thread pools, one process per core.

A thread pool runs its Python on one core at a time (the GIL), so on a two-core machine one
process leaves a core idle: 165–174 DQT updates a second against 226 with a process per core
(docs/decisions/0015-dqt-worker-cpu.md). This command starts ``--processes`` Celery
workers (by default one per core this process may use), shares ``--concurrency`` threads
among them and names them ``dqt-1@host``, ``dqt-2@host``… from ``--hostname``. It passes
SIGTERM, SIGINT and SIGQUIT on to them; when one stops by itself it stops the others and
exits with that code, so the platform restarts the whole; when it is killed they stop too
(docs/deploy.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
PR_SET_PDEATHSIG = 1


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_commands(
    *, processes: int, concurrency: int, queues: str, hostname: str, loglevel: str
) -> list[list[str]]:
    """The Celery command line of each worker process."""
    threads = math.ceil(concurrency / processes)
    name, at, host = hostname.partition("@")
    commands = []
    for index in range(1, processes + 1):
        node = hostname if processes == 1 else f"{name}-{index}{at}{host}"
        commands.append(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "regsupport",
                "worker",
                "--loglevel",
                loglevel,
                "--queues",
                queues,
                "--pool",
                "threads",
                "--concurrency",
                str(threads),
                "--hostname",
                node,
            ]
        )
    return commands


class Command(BaseCommand):
    help = "Run the dqt and apply queues' worker: a Celery thread pool per core."

    def add_arguments(self, parser):
        parser.add_argument(
            "--processes",
            type=int,
            default=0,
            help="worker processes (default 0: one per core this process may use)",
        )
        parser.add_argument(
            "--concurrency",
            type=int,
            default=100,
            help="threads in all, shared among the processes (default 100)",
        )
        parser.add_argument("--queues", default="dqt,apply")
        parser.add_argument(
            "--hostname",
            default="dqt@%h",
            help="node name; with several processes each gets -1, -2… before the @",
        )
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args: Any, **options: Any) -> None:
        processes = options["processes"] or usable_cores()
        concurrency = options["concurrency"]
        if processes < 1:
            raise CommandError("--processes must be at least 1 (or 0 for one per core).")
        if concurrency < processes:
            raise CommandError(
                f"--concurrency {concurrency} is fewer threads than --processes {processes}."
            )
        commands = worker_commands(
            processes=processes,
            concurrency=concurrency,
            queues=options["queues"],
            hostname=options["hostname"],
            loglevel=options["loglevel"],
        )
        self.stdout.write(
            f"dqtworker: {processes} thread-pool process(es), "
            f"{math.ceil(concurrency / processes)} threads each, queues {options['queues']}"
        )
        sys.stdout.flush()
        # Each in a process group of its own: a Ctrl-C in a terminal reaches this process
        # alone, which passes it on once; twice would be Celery's cold shutdown.
        children = [
            subprocess.Popen(
                command, cwd=settings.BASE_DIR, process_group=0, preexec_fn=_die_with_parent
            )
            for command in commands
        ]
        sys.exit(supervise(children, self.stderr.write))


def _die_with_parent() -> None:
    """In the child, before Celery starts: SIGTERM when this supervisor dies, even by
    SIGKILL, so no worker process outlives it (Linux's PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the platform's own process handling has to do


def supervise(children: list[subprocess.Popen], warn) -> int:
    """Wait for the children, passing on the signals that stop them; the exit code."""
    stopping = False

    def forward(signum, _frame):
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        while (first := next((c for c in children if c.poll() is not None), None)) is None:
            time.sleep(0.2)
        if not stopping:
            warn(
                f"dqtworker: worker process {first.pid} stopped by itself (exit code "
                f"{first.returncode}); stopping the others."
            )
            for child in children:
                if child.poll() is None:
                    child.terminate()
        codes = [child.wait() for child in children]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if stopping:
        return max((abs(code) for code in codes), default=0)
    # A worker that stopped unasked is a failure whatever its code: restart the whole.
    return first.returncode or 1
