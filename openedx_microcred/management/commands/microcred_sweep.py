"""
``manage.py microcred_sweep [--loop] [--interval S]``: the plugin's periodic work without Celery
beat (Tutor runs no beat).

Runs every entry of ``CELERY_BEAT_SCHEDULE`` whose task is one of the plugin's
(``openedx_microcred.…``), so periodic tasks added to ``settings.common.plugin_settings`` later are
included. Once and exit by default; with ``--loop``, each task whenever its own schedule says it is
due, checking every ``--interval`` seconds, until SIGTERM or SIGINT (the current task finishes
first). Tasks run in this process (``Task.apply``): what they enqueue goes to the workers.
"""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import Task, current_app
from celery.schedules import maybe_schedule
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

TASK_PREFIX = "openedx_microcred."


@dataclass
class Periodic:
    """One beat entry: its name, task, period in seconds (None: a crontab-like schedule)."""

    name: str
    task: Task
    schedule: Any  # seconds, or a celery.schedules schedule (crontab, solar)
    period: float | None
    next_run: float = 0.0  # time.monotonic(); 0 runs at start
    last_run_at: datetime | None = None  # for crontab-like schedules


class Command(BaseCommand):
    help = ("Run the plugin's periodic tasks (its CELERY_BEAT_SCHEDULE entries): once, or with "
            "--loop as a long-running service where no Celery beat runs.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true",
                            help="keep running each task on its schedule until SIGTERM/SIGINT")
        parser.add_argument("--interval", type=float, default=10.0,
                            help="seconds between two checks of what is due (--loop; default 10)")

    def handle(self, *args, loop, interval, **options):
        if interval <= 0:
            raise CommandError("--interval must be positive")
        entries = periodic_entries()
        if not entries:
            raise CommandError("no openedx_microcred task in CELERY_BEAT_SCHEDULE")
        if not loop:
            for entry in entries:
                self._run(entry)
            return
        self._stopping = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        self.stdout.write(f"microcred_sweep: {', '.join(e.name for e in entries)}; checking "
                          f"every {interval:g} s")
        self.stdout.flush()
        while not self._stopping:
            for entry in entries:
                if not self._stopping and _due(entry):
                    self._run(entry)
            _sleep(interval, lambda: self._stopping)
        self.stdout.write("microcred_sweep: stopped")

    def _stop(self, signum, frame):
        self._stopping = True

    def _run(self, entry: Periodic) -> None:
        try:
            result = entry.task.apply().get()
        except Exception as error:  # pylint: disable=broad-except
            # A failing task (database away) must not stop the service: log, retry when due.
            self.stderr.write(f"microcred_sweep: {entry.name} failed: {type(error).__name__}: "
                              f"{error}")
        else:
            self.stdout.write(f"microcred_sweep: {entry.name} -> {result!r}")
        self.stdout.flush()


def periodic_entries() -> list[Periodic]:
    """The plugin's beat entries, in schedule order. Raises ``CommandError`` for an unknown
    task."""
    entries = []
    for name, spec in (getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}).items():
        task_name = spec.get("task", "")
        if not task_name.startswith(TASK_PREFIX):
            continue
        schedule = spec["schedule"]
        period = None
        if isinstance(schedule, (int, float)):
            period = float(schedule)
        elif isinstance(schedule, timedelta):
            period = schedule.total_seconds()
        else:
            schedule = maybe_schedule(schedule, app=current_app)
        entries.append(Periodic(name=name, task=_task(task_name), schedule=schedule,
                                period=period))
    return entries


def _task(name: str) -> Task:
    task = current_app.tasks.get(name)
    if task is not None:
        return task
    try:
        return import_string(name)  # @shared_task: registered once its module is imported
    except ImportError as error:
        raise CommandError(f"CELERY_BEAT_SCHEDULE names an unknown task {name!r}") from error


def _due(entry: Periodic) -> bool:
    now = time.monotonic()
    if entry.period is not None:
        if now < entry.next_run:
            return False
        entry.next_run = now + entry.period
        return True
    if entry.last_run_at is None:
        entry.last_run_at = entry.schedule.now()
        return True
    due, _ = entry.schedule.is_due(entry.last_run_at)
    if due:
        entry.last_run_at = entry.schedule.now()
    return due


def _sleep(seconds: float, stopping) -> None:
    """Sleep ``seconds`` in short steps, returning early once ``stopping()``."""
    deadline = time.monotonic() + seconds
    while not stopping() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.5))
