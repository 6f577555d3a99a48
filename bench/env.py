"""
Bench environment: a throwaway SQLite database and Django set up around it.

Everything here runs before ``django.setup()``: the sandbox settings read ``MICROCRED_SQLITE_PATH``
once, so the database file must be chosen first. The developer's database
(``sandbox/db.sqlite3``) and any MySQL/broker configuration in the environment are never used.
"""
from __future__ import annotations

import os
import platform
import sqlite3
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# PRAGMAs on every connection the bench opens. WAL + synchronous=NORMAL is the usual production
# setting for SQLite (a commit does not fsync; a checkpoint does). Bulk loads go further
# (synchronous=OFF) on their own connection, see ``bulk_pragmas``.
MEASURE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")
BULK_PRAGMAS = ("PRAGMA synchronous=OFF", "PRAGMA cache_size=-200000", "PRAGMA temp_store=MEMORY")


def setup_django(db_path: str | os.PathLike) -> None:
    """Point the sandbox at ``db_path`` (SQLite) and set Django up. Call once per process."""
    db_path = str(db_path)
    if Path(db_path).resolve() == (REPO / "sandbox" / "db.sqlite3").resolve():
        raise SystemExit("refusing to benchmark against the developer's sandbox database")
    os.environ["MICROCRED_SQLITE_PATH"] = db_path
    os.environ["DJANGO_SETTINGS_MODULE"] = "sandbox.settings"
    os.environ["MICROCRED_DEBUG"] = "0"  # as in production: no query log kept per connection
    for name in ("MICROCRED_DB", "MICROCRED_BROKER_URL", "MICROCRED_SETTINGS_TYPE"):
        os.environ.pop(name, None)  # SQLite, and Celery eager in-process
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))

    import django
    from django.db.backends.signals import connection_created

    django.setup()
    connection_created.connect(_measure_pragmas, dispatch_uid="microcred-bench-pragmas")
    _allow_event_failures()


def _measure_pragmas(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for pragma in MEASURE_PRAGMAS:
                cursor.execute(pragma)


def _allow_event_failures() -> None:
    """Make the plugin's openedx-events signals raise instead of ``send_robust``.

    The receivers never raise by design; if one did, the bench should crash rather than time a
    swallowed error. (It also skips openedx-events' response logging, which is not the plugin's
    cost.)
    """
    from openedx_events.learning import signals
    from openedx_events.tooling import OpenEdxPublicSignal

    from openedx_microcred.apps import RECEIVERS

    for _, name in RECEIVERS:
        signal: OpenEdxPublicSignal = getattr(signals, name)
        signal._allow_events = True
        signal._allow_send_event_failure = True


def migrate() -> None:
    """Create the schema in the (empty) bench database."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def checkpoint_and_close() -> None:
    """Fold the WAL into the main file and close, so the file can be copied."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def bulk_pragmas(cursor) -> None:
    for pragma in BULK_PRAGMAS:
        cursor.execute(pragma)


def describe() -> list[tuple[str, str]]:
    """The environment lines printed with the results."""
    import django

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return [
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("SQLite", sqlite3.sqlite_version),
        ("CPU", f"{cpu} ({os.cpu_count()} logical CPUs)"),
        ("OS", platform.platform()),
        ("SQLite PRAGMAs (measuring)", ", ".join(p.split(" ", 1)[1] for p in MEASURE_PRAGMAS)),
        ("SQLite PRAGMAs (bulk load)", ", ".join(p.split(" ", 1)[1] for p in BULK_PRAGMAS)),
        ("Django DEBUG", "False (MICROCRED_DEBUG=0)"),
    ]
