"""
The three measurements. Each function runs in a process where ``env.setup_django`` was called.

1. ``receivers``: real openedx-events signals (``openedx_microcred.testutils.send_*``), each in
   its own ``transaction.atomic()`` block as in the LMS; the timer covers the signal send only
   (payload + dispatch + receiver), not the commit nor the evaluation that runs after it.
2. ``evaluate``: ``evaluation.evaluate_learner(user_id, course_key=…)`` for random (learner,
   course) pairs, with the definition cache warmed first as in a long-running worker.
3. ``backfill_worker``: ``backfill.run_backfill()`` over a prefix of learners, in a child process
   so that its RSS is its own; stopped after N learners by raising from ``on_batch`` (the
   checkpoint of each finished batch is committed first, so a second run resumes there).
"""
from __future__ import annotations

import gc
import random
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import timedelta

import stats

# ------------------------------------------------------------------------------- receivers ---


@dataclass
class ReceiverResult:
    events: int
    mix: dict[str, int]
    send_us: list[float]
    send_cpu_us: list[float]
    payload_us: list[float]
    commit_us: list[float]
    queries: list[int]
    on_commit: list[int]
    rejected: int
    completions_before: int
    completions_after: int


def _event_plan(pairs: list[tuple[int, str]], course_keys: list[str], count: int,
                rng: random.Random) -> list[tuple]:
    """A mixed stream of events about existing learners and courses.

    50% passing (existing results, newer time), 5% passing with a stale time (a late duplicate:
    the upsert changes nothing), 10% passing in a course the learner has no row for (insert),
    20% certificate changed, 15% persistent grade changed.
    """
    plan = []
    for _ in range(count):
        user, key = rng.choice(pairs)
        roll = rng.random()
        if roll < 0.50:
            plan.append(("passing", user, key, rng.random() < 0.9))
        elif roll < 0.55:
            plan.append(("passing-stale", user, key, True))
        elif roll < 0.65:
            plan.append(("passing-new-row", user, rng.choice(course_keys), True))
        elif roll < 0.85:
            plan.append(("certificate", user, key, rng.choice(("verified", "audit"))))
        else:
            plan.append(("grade", user, key, round(rng.random(), 3)))
    return plan


def _sender():
    from openedx_microcred import testutils

    base = testutils.utc(2026, 1, 1)
    stale = testutils.utc(2024, 1, 1)

    def send(index: int, event: tuple) -> None:
        kind, user, key, extra = event
        when = base + timedelta(seconds=index)
        if kind.startswith("passing"):
            testutils.send_passing(user, key, passing=extra,
                                   time=stale if kind == "passing-stale" else when)
        elif kind == "certificate":
            testutils.send_certificate(user, key, status="downloadable", mode=extra,
                                       event="changed", time=when)
        else:
            testutils.send_grade(user, key, extra, time=when)
    return send


def _use_memory_broker() -> None:
    """Enqueue evaluations on Celery's in-memory transport instead of running them eagerly.

    The LMS only publishes the task after commit; evaluating eagerly would make this phase slow
    without changing what is timed (the send, inside the block).
    """
    from sandbox.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "memory://"


def _purge_memory_broker() -> int:
    from sandbox.celery import app

    with app.connection_for_write() as conn:
        return conn.default_channel.queue_purge("celery") or 0


def receivers(pairs: list[tuple[int, str]], course_keys: list[str], *, events: int,
              warmup: int, query_events: int, seed: int = 11) -> ReceiverResult:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from openedx_events.learning import signals

    from openedx_microcred.apps import RECEIVERS
    from openedx_microcred.models import CourseCompletion, RejectedEvent

    _use_memory_broker()
    rng = random.Random(seed)
    plan = _event_plan(pairs, course_keys, warmup + events + query_events, rng)
    send = _sender()
    rejected_before = RejectedEvent.objects.count()
    completions_before = CourseCompletion.objects.count()
    mix: dict[str, int] = {}
    for _, event in zip(range(events), plan[warmup:], strict=False):
        mix[event[0]] = mix.get(event[0], 0) + 1

    index = 0
    for event in plan[:warmup]:
        with transaction.atomic():
            send(index, event)
        index += 1

    send_us: list[float] = []
    send_cpu_us: list[float] = []
    commit_us: list[float] = []
    on_commit: list[int] = []
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    for event in plan[warmup:warmup + events]:
        block = transaction.atomic()
        block.__enter__()
        before = len(connection.run_on_commit)
        cpu_start, start = cpu_clock(), clock()
        send(index, event)
        send_us.append((clock() - start) / 1000)
        send_cpu_us.append((cpu_clock() - cpu_start) / 1000)
        on_commit.append(len(connection.run_on_commit) - before)
        start = clock()
        block.__exit__(None, None, None)  # COMMIT, then the on_commit enqueue
        commit_us.append((clock() - start) / 1000)
        index += 1

    # The same stream with the signals disabled: what building the payload (attrs data,
    # CourseKey parsing, metadata) costs on its own, i.e. not the receiver's.
    plugin_signals = [getattr(signals, name) for _, name in RECEIVERS]
    for signal in plugin_signals:
        signal._allow_events = False
    payload_us: list[float] = []
    try:
        for offset, event in enumerate(plan[warmup:warmup + events]):
            start = clock()
            send(10**7 + offset, event)
            payload_us.append((clock() - start) / 1000)
    finally:
        for signal in plugin_signals:
            signal._allow_events = True

    queries: list[int] = []
    for event in plan[warmup + events:]:
        connection.queries_log.clear()  # the log keeps 9,000 entries: never let it fill up
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            send(index, event)
        queries.append(len(captured.captured_queries))
        index += 1

    _purge_memory_broker()
    return ReceiverResult(
        events=events, mix=mix, send_us=send_us, send_cpu_us=send_cpu_us, payload_us=payload_us,
        commit_us=commit_us, queries=queries, on_commit=on_commit,
        rejected=RejectedEvent.objects.count() - rejected_before,
        completions_before=completions_before,
        completions_after=CourseCompletion.objects.count(),
    )


def profile_receivers(pairs: list[tuple[int, str]], course_keys: list[str], *,
                      events: int = 2000, seed: int = 17) -> tuple:
    """cProfile of ``events`` more sends, each in its own block; the profiler runs only around
    the send (as the timer does), not the COMMIT and enqueue that follow it."""
    import cProfile
    import io
    import pstats

    from django.db import transaction

    _use_memory_broker()
    plan = _event_plan(pairs, course_keys, events, random.Random(seed))
    send = _sender()
    profiler = cProfile.Profile()
    for index, event in enumerate(plan):
        with transaction.atomic():
            profiler.enable()
            send(2 * 10**7 + index, event)
            profiler.disable()
    _purge_memory_broker()
    return pstats.Stats(profiler, stream=io.StringIO()), events


# -------------------------------------------------------------------------------- evaluate ---


@dataclass
class EvaluatePass:
    label: str
    events: int
    wall_s: float
    cpu_s: float
    latencies_ms: list[float]
    programmes: int
    issued: int
    issuing_ms: list[float] = field(default_factory=list)  # latencies of events that issued

    @property
    def rate(self) -> float:
        return self.events / self.wall_s

    @property
    def cpu_rate(self) -> float:
        return self.events / self.cpu_s


@dataclass
class EvaluateResult:
    versions: int
    warm_s: float
    passes: list[EvaluatePass] = field(default_factory=list)
    queries: dict[str, tuple[float, int]] = field(default_factory=dict)
    spare: list[tuple[int, str]] = field(default_factory=list)


def warm_definition_cache() -> tuple[int, float]:
    """Parse every published version into the cache, as a worker has after a while."""
    from openedx_microcred import programs
    from openedx_microcred.models import Program

    programs._DEFINITIONS.clear()
    start = time.perf_counter()
    versions = list(Program.objects.filter(published_version__isnull=False)
                    .values_list("published_version_id", flat=True))
    for version_id in versions:
        programs.definition_for(version_id)
    return len(versions), time.perf_counter() - start


def _evaluate_pass(label: str, pairs: list[tuple[int, str]]) -> EvaluatePass:
    from openedx_microcred.evaluation import evaluate_learner

    latencies, issuing = [], []
    programmes = issued = 0
    clock = time.perf_counter
    cpu_start, wall_start = time.process_time(), clock()
    for user_id, key in pairs:
        start = clock()
        outcome = evaluate_learner(user_id, course_key=key)
        latencies.append((clock() - start) * 1000)
        programmes += len(outcome.evaluated)
        issued += len(outcome.issued)
        if outcome.issued:
            issuing.append(latencies[-1])
    wall, cpu = clock() - wall_start, time.process_time() - cpu_start
    return EvaluatePass(label, len(pairs), wall, cpu, latencies, programmes, issued, issuing)


def _count_queries(pairs: list[tuple[int, str]]) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from openedx_microcred.evaluation import evaluate_learner

    counts = []
    for user_id, key in pairs:
        connection.queries_log.clear()  # the log keeps 9,000 entries: never let it fill up
        with CaptureQueriesContext(connection) as captured:
            evaluate_learner(user_id, course_key=key)
        counts.append(len(captured.captured_queries))
    return sum(counts) / len(counts), max(counts)


def evaluate(pairs: list[tuple[int, str]], *, events: int, query_events: int,
             seed: int = 13) -> EvaluateResult:
    rng = random.Random(seed)
    pool = list(pairs)
    rng.shuffle(pool)
    warmup, sample = pool[:50], pool[50:50 + events]
    spare = pool[50 + events:]
    versions, warm_s = warm_definition_cache()
    result = EvaluateResult(versions=versions, warm_s=warm_s)
    _evaluate_pass("warm-up", warmup)
    result.passes.append(_evaluate_pass("new facts", sample))
    result.passes.append(_evaluate_pass("repeat (no change)", sample))
    fresh, spare = spare[:query_events], spare[query_events:]
    result.queries["new facts"] = _count_queries(fresh)
    result.queries["repeat (no change)"] = _count_queries(fresh)
    result.spare = spare
    return result


def profile_evaluate(pairs: list[tuple[int, str]]) -> dict[str, tuple]:
    """cProfile of ``pairs`` evaluated twice: as new facts, then repeated (no change)."""
    return {
        "new facts": (stats.profile(lambda: _evaluate_pass("", pairs)), len(pairs)),
        "repeat (no change)": (stats.profile(lambda: _evaluate_pass("", pairs)), len(pairs)),
    }


def read_cost(pairs: list[tuple[int, str]]) -> dict | None:
    """An estimate, no profiler, thread CPU time: evaluate_learner's reads (load_record,
    _candidates, _progress_rows: the product's plain-SQL hot path) against the pure rules.

    Returns None if the evaluation helpers it calls were renamed (it is informational only).
    """
    from openedx_microcred import evaluation, programs, rules

    needed = ("load_record", "_candidates", "_progress_rows")
    if not all(hasattr(evaluation, name) for name in needed):
        return None
    prepared = []
    for user_id, key in pairs:
        record, _ = evaluation.load_record(user_id)
        found = evaluation._candidates(course_key=key)
        prepared.append((user_id, key, record, found, [c.pk for c in found]))
    clock = time.thread_time
    reads = pure = 0.0
    evaluated = 0
    for user_id, key, record, found, pks in prepared:
        start = clock()
        evaluation.load_record(user_id)
        evaluation._candidates(course_key=key)
        evaluation._progress_rows(user_id, pks)
        reads += clock() - start
        start = clock()
        for candidate in found:
            rules.evaluate(programs.definition_for(candidate.version_id).rules, record)
            evaluated += 1
        pure += clock() - start
    events = len(prepared)
    return {"events": events, "reads_us": reads / events * 1e6, "rules_us": pure / events * 1e6,
            "programmes": evaluated / events}


# -------------------------------------------------------------------------------- backfill ---


class _Stop(Exception):
    """Raised from ``on_batch`` once the prefix has been evaluated."""


def backfill_worker(*, learners: int, batch_size: int, trace: bool,
                    with_profile: bool = False) -> dict:
    """Run ``run_backfill`` until ``learners`` learners are done; return what was measured."""
    from openedx_microcred import backfill
    from openedx_microcred.models import BackfillCheckpoint, Credential, ProgramProgress

    versions, warm_s = warm_definition_cache()
    checkpoint = BackfillCheckpoint.objects.filter(name=backfill.checkpoint_name(None)).first()
    resume_after = checkpoint.last_user_id if checkpoint else 0
    remaining = backfill.count_learners(after=resume_after)
    page_ms = _learner_page_ms(batch_size)
    credentials_before = Credential.objects.count()
    progress_before = ProgramProgress.objects.count()
    gc.collect()
    rss_before = stats.rss_bytes()
    done = 0
    samples: list[dict] = []

    def on_batch(count: int) -> None:
        nonlocal done
        done += count
        sample = {"learners": done, "rss": stats.rss_bytes()}
        if trace:
            sample["traced"] = tracemalloc.get_traced_memory()[0]
        samples.append(sample)
        if done >= learners:
            raise _Stop

    peak_rss = stats.PeakRss()
    peak_rss.start()
    if trace:
        tracemalloc.start()
    finished = True
    profiler_stats = None
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    try:
        if with_profile:
            stopped = []

            def run() -> None:
                try:
                    backfill.run_backfill(batch_size=batch_size, on_batch=on_batch)
                except _Stop:
                    stopped.append(True)
            profiler_stats = stats.profile(run)
            finished = not stopped
        else:
            backfill.run_backfill(batch_size=batch_size, on_batch=on_batch)
    except _Stop:
        finished = False
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    rss_peak = peak_rss.stop()
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    out = {
        "versions": versions, "warm_s": warm_s, "resume_after": resume_after,
        "remaining_before": remaining, "learners": done, "finished": finished,
        "wall_s": wall, "cpu_s": cpu, "rss_before": rss_before, "rss_peak": rss_peak,
        "rss_method": peak_rss.method, "traced_peak": traced_peak, "samples": samples,
        "issued": Credential.objects.count() - credentials_before,
        "progress_rows": ProgramProgress.objects.count() - progress_before,
        "page_ms": page_ms,
    }
    if profiler_stats is not None:
        out["profile"] = {
            "steps": stats.step_table(profiler_stats, stats.EVALUATION_STEPS, max(done, 1)),
            "top": stats.top_functions(profiler_stats),
            "packages": stats.own_time_by_package(profiler_stats),
            "learners": done,
        }
    return out


def _learner_page_ms(batch_size: int) -> dict[str, float] | None:
    """Time of one page of the backfill's learner-id query at the start, middle and end."""
    from django.contrib.auth import get_user_model

    from openedx_microcred import backfill

    learner_ids = getattr(backfill, "_learner_ids", None)
    if learner_ids is None:  # renamed: the page timing is informational only
        return None
    last = get_user_model().objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    out = {}
    for label, after in (("first", 0), ("middle", last // 2), ("last", max(0, last - 1))):
        start = time.perf_counter()
        list(learner_ids(None, after)[:batch_size])
        out[label] = (time.perf_counter() - start) * 1000
    return out
