#!/usr/bin/env python
"""
Publishing a programme that evaluates learners who already completed its courses.

    .venv/bin/python bench/publish_bench.py                 # 10,000 learners
    .venv/bin/python bench/publish_bench.py --learners 2000 --complete 0.5

A throwaway SQLite database (WAL, as ``env.py`` sets it up) gets ``--learners`` learners with
passing results in a three-course programme's courses (``--complete`` of them in all three, the
others in one or two), and the programme as a draft. The timed step is what an author's
"publish" does end to end with Celery eager: ``api.publish_program`` publishes the draft, and
the publish job evaluates every one of those learners in batches, issuing (signing) a credential
to each who completed. The publish summary (what the author sees before publishing: the
learners it would newly complete, read-only) is timed too. Prints one line per figure, with the
CPU time the process used next to the wall time (on a busy machine the two differ widely).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import env  # noqa: E402

COURSES = ("course-v1:BenchX+C1+2026", "course-v1:BenchX+C2+2026", "course-v1:BenchX+C3+2026")
DEFINITION = """<program id="bench-publish" org="BenchX">
  <title>Publish benchmark</title>
  <issuer name="Bench University" url="https://bench.example" country="CN"/>
  <requirements>
    <course key="{}" credits="2">One</course>
    <course key="{}" credits="2">Two</course>
    <course key="{}" credits="2">Three</course>
  </requirements>
</program>""".format(*COURSES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--complete", type=float, default=0.6,
                        help="share of learners who passed all three courses")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="microcred-publish-bench-") as tmp:
        env.setup_django(Path(tmp) / "bench.sqlite3")
        run(args)


def run(args) -> None:
    from django.core.management import call_command

    from openedx_microcred import api
    from openedx_microcred.models import Credential

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    _load(args.learners, args.complete, random.Random(args.seed))
    print(f"loaded {args.learners} learners in {time.perf_counter() - started:.1f} s")
    api.import_program(DEFINITION, publish=False)

    started, cpu = time.perf_counter(), time.process_time()
    summary = api.get_publish_summary(program_id="bench-publish")
    summary_seconds = time.perf_counter() - started
    print(f"publish summary: {summary.learners} learners, {summary.newly_complete} would "
          f"complete, in {summary_seconds:.1f} s ({time.process_time() - cpu:.1f} s CPU)")

    started, cpu = time.perf_counter(), time.process_time()
    job = api.publish_program(program_id="bench-publish")
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    job = api.get_publish_job(program_id="bench-publish", job_id=job.id)
    issued = Credential.objects.filter(program__program_id="bench-publish").count()
    print(f"publish: job {job.status}, {job.learners_done}/{job.learners_total} learners "
          f"evaluated, {job.issued} credentials issued ({issued} in the database), "
          f"in {seconds:.1f} s = {job.learners_done / seconds:.0f} learners/s, "
          f"{job.issued / seconds:.0f} credentials/s; {cpu_seconds:.1f} s of CPU in this "
          f"process (the wall time includes waiting for a CPU on a shared machine)")


def _load(learners: int, complete: float, rng: random.Random) -> None:
    """Users and their passing results, in bulk."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from openedx_microcred.models import CourseCompletion

    when = datetime(2026, 1, 5, tzinfo=UTC)
    with transaction.atomic():
        users = get_user_model().objects.bulk_create(
            [get_user_model()(username=f"learner{i}", email=f"learner{i}@example.com")
             for i in range(learners)], batch_size=2000)
        rows = []
        for user in users:
            done = COURSES if rng.random() < complete else rng.sample(COURSES, rng.randint(1, 2))
            for key in done:
                org, number, _ = key.split(":", 1)[1].split("+")
                rows.append(CourseCompletion(
                    user_id=user.pk, course_key=key, counted_key=key, org=org, number=number,
                    passing=True, passed_at=when, passing_event_at=when))
        CourseCompletion.objects.bulk_create(rows, batch_size=2000)


if __name__ == "__main__":
    main()
