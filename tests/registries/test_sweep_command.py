"""``manage.py microcred_sweep``: the plugin's beat schedule without Celery beat (Tutor's
``microcred-sweeper`` service)."""
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openedx_microcred import api
from openedx_microcred.models import Delivery
from openedx_microcred.testutils import send_passing, utc

from ..conftest import program_xml
from .fakes import WEBHOOK_SECRET, server_error

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[2]
A = "course-v1:DemoX+A101+2026"
SWEEP = "openedx-microcred-sweep-deliveries"


def _sweep(*args) -> str:
    out = io.StringIO()
    call_command("microcred_sweep", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_once_runs_the_delivery_sweep_and_delivers_what_is_due(settings, learner, receiver):
    settings.MICROCRED_DELIVERY_BACKOFF_BASE = 0.0  # the failed attempt's retry is due at once
    api.import_program(program_xml("one", f'<course key="{A}">A</course>'))
    api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                           secret=WEBHOOK_SECRET)
    receiver.fail_next(server_error())
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    assert Delivery.objects.get().status == Delivery.PENDING

    output = _sweep()

    assert f"{SWEEP} -> 1" in output
    assert Delivery.objects.get().status == Delivery.DELIVERED
    assert f"{SWEEP} -> 0" in _sweep()  # nothing left


def test_runs_every_plugin_entry_of_the_beat_schedule_and_nothing_else(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        **settings.CELERY_BEAT_SCHEDULE,
        "openedx-microcred-added-later": {"task": "openedx_microcred.tasks.sweep_deliveries",
                                          "schedule": 30.0},
        "someone-elses-task": {"task": "lms.djangoapps.x.tasks.y", "schedule": 1.0},
    }
    output = _sweep()
    assert f"{SWEEP} -> 0" in output
    assert "openedx-microcred-added-later -> 0" in output
    assert "someone-elses-task" not in output


def test_an_unknown_plugin_task_is_refused(settings):
    settings.CELERY_BEAT_SCHEDULE = {"x": {"task": "openedx_microcred.tasks.nope", "schedule": 1}}
    with pytest.raises(CommandError, match="unknown task 'openedx_microcred.tasks.nope'"):
        _sweep()


def test_no_plugin_entry_is_an_error(settings):
    settings.CELERY_BEAT_SCHEDULE = {}
    with pytest.raises(CommandError, match="no openedx_microcred task"):
        _sweep()


def test_loop_runs_on_schedule_until_sigterm(tmp_path):
    """A real ``--loop`` process: the 1-second sweep of ``tests.integration.settings`` runs
    repeatedly; SIGTERM ends it cleanly (exit 0) after the current run."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.integration.settings",
           "MICROCRED_SQLITE_PATH": str(tmp_path / "db.sqlite3"), "PYTHONUNBUFFERED": "1"}
    for key in ("MICROCRED_DB", "MICROCRED_BROKER_URL"):
        env.pop(key, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO,
                   env=env, check=True, timeout=180)
    log = tmp_path / "sweep.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "microcred_sweep", "--loop", "--interval", "0.2"],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while log.read_text("utf-8").count(f"{SWEEP} -> 0") < 2:
            assert process.poll() is None, log.read_text("utf-8")
            assert time.monotonic() < deadline, log.read_text("utf-8")
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    output = log.read_text("utf-8")
    assert "checking every 0.2 s" in output
    assert output.rstrip().endswith("microcred_sweep: stopped")


def test_crontab_and_timedelta_schedules_are_honoured(settings):
    from datetime import timedelta

    from celery.schedules import crontab

    from openedx_microcred.management.commands import microcred_sweep

    settings.CELERY_BEAT_SCHEDULE = {
        "openedx-microcred-hourly": {"task": "openedx_microcred.tasks.sweep_deliveries",
                                     "schedule": crontab(minute=0)},
        "openedx-microcred-every-hour": {"task": "openedx_microcred.tasks.sweep_deliveries",
                                         "schedule": timedelta(hours=1)},
    }
    hourly, every_hour = microcred_sweep.periodic_entries()
    assert every_hour.period == 3600.0
    # both run when the service starts, then not again before their next time
    assert microcred_sweep._due(hourly) and microcred_sweep._due(every_hour)
    assert not microcred_sweep._due(hourly) and not microcred_sweep._due(every_hour)
