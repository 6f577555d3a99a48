"""
The event → evaluation → issuance flow on the production stack, under concurrency and faults.

Real openedx-events signals are sent by a driver subprocess (several threads at once, duplicates,
newest-first deliveries, the same learners from every thread) into the plugin's receivers on
MariaDB; the receivers enqueue real Celery messages to Redis; two (then three) ``celery -A
sandbox worker`` processes evaluate and issue. The expected database is computed independently
(``scenario.expect``) from the events that were sent.

Fault matrix
    duplicates (same metadata, other threads) ...... every burst: completions unchanged
    out-of-order (newest first, same thread) ....... every burst: older events never overwrite
    same learner from all threads at once .......... every burst: no lost completion
    CCX results (any run and an exact run) ......... every burst: counted as the master course,
      including a CCX graded before its passing status arrives (a fixed ``<prefix>-ccx`` learner)
    min-grade + badge, certificate programmes ...... every burst: facets ordered independently
    stacked programmes (parents of issued ones) .... every burst and the hammer
    one learner evaluated 20× at once .............. hammer: one credential per programme
    pool processes SIGKILLed mid-task .............. kill: acks_late + reject_on_worker_lost
    a whole worker SIGKILLed, a new one started .... kill: unacked messages restored, idempotent
"""
from __future__ import annotations

import time

import pytest

from .scenario import STACKED, Expected, Scenario, check, expect, generate

pytestmark = pytest.mark.integration

BURST_SEED = 20260105
HAMMER_SEED = 1
KILL_SEED = 5


def assert_matches(expected: Expected, summary: dict, scenario: Scenario, stack,
                   marks: dict[str, int]) -> None:
    problems = check(expected, summary, scenario.learners)
    problems += [f"a task failed for good (an evaluation lost): {line}"
                 for line in stack.task_failures(marks)]
    if problems:
        shown = "\n  ".join(problems[:40])
        more = f"\n  … and {len(problems) - 40} more" if len(problems) > 40 else ""
        pytest.fail(f"{len(problems)} problems after {summary['sent']} deliveries "
                    f"(summary in {stack.tmp}):\n  {shown}{more}", pytrace=False)


def assert_covers(scenario: Scenario, expected: Expected) -> None:
    """The seed must produce the situations the test claims to exercise."""
    held = [p for programs in expected.credentials.values() for p in programs]
    for program_id in STACKED + ("harvard-web-app-dev", "it-graded-badge", "it-exact-run",
                                 "google-project-management"):
        assert program_id in held, f"seed gives no learner {program_id}"
    partial = [learner for learner, programs in expected.credentials.items()
               if "harvard-web-app-dev" in programs and STACKED[0] not in programs]
    assert partial, "seed gives no learner with a child programme but not its stacked parent"
    types = {event["type"] for event in scenario.events}
    assert types >= {"passing", "ccx_passing", "grade", "certificate", "badge"}, types
    delivered = [i for ids in scenario.deliveries for i in ids]
    assert len(delivered) > len(set(delivered)), "no duplicates"
    assert scenario.inverted_groups > 10, "too few newest-first deliveries"


def report(stack, scenario: Scenario, expected: Expected, summary: dict, deadlocks: int) -> None:
    """What the run did (shown with -s, and with the failure report)."""
    print(f"\n{scenario.name}: {len(scenario.events)} events, {summary['sent']} messages sent in "
          f"{summary['send_seconds']} s, drained in {summary['drain_seconds']} s; "
          f"{len(summary['credentials'])} credentials ({expected.summary()}); restored "
          f"unacknowledged messages: {summary.get('restored', 0)}; MariaDB deadlocks (retried): "
          f"{deadlocks}")
    if deadlocks:
        print(f"latest deadlock:\n{stack.latest_deadlock()}")


def test_event_burst_from_many_threads(stack):
    """Duplicates, inversions and contention: every completion kept, one credential each."""
    scenario = generate("burst", BURST_SEED, learners=8, threads=6)
    expected = expect(scenario)
    assert_covers(scenario, expected)
    deadlocks, marks = stack.deadlocks(), stack.log_marks()
    summary = stack.run_driver(scenario.spec(mode="burst", drain={"timeout": 150}))
    report(stack, scenario, expected, summary, stack.deadlocks() - deadlocks)
    assert_matches(expected, summary, scenario, stack, marks)


def test_one_learner_evaluated_many_times_at_once(stack):
    """20 concurrent evaluations per learner (stored completions) issue each credential once."""
    scenario = generate("hammer", HAMMER_SEED, learners=3, threads=1)
    expected = expect(scenario)
    assert any(set(STACKED) <= programs for programs in expected.credentials.values()), \
        f"seed gives no learner with both stacked programmes: {expected.credentials}"
    deadlocks, marks = stack.deadlocks(), stack.log_marks()
    summary = stack.run_driver(scenario.spec(
        mode="hammer", hammer={"per_learner": 20, "threads": 4, "seed": HAMMER_SEED},
        drain={"timeout": 120}))
    report(stack, scenario, expected, summary, stack.deadlocks() - deadlocks)
    assert summary["sent"] == 20 * len(scenario.learners)
    assert_matches(expected, summary, scenario, stack, marks)


def test_workers_killed_mid_burst(stack):
    """SIGKILLed pool processes and a SIGKILLed worker lose nothing and issue nothing twice."""
    scenario = generate("kill", KILL_SEED, learners=8, threads=6)
    expected = expect(scenario)
    deadlocks, marks = stack.deadlocks(), stack.log_marks()
    run = stack.start_driver(scenario.spec(
        mode="burst", drain={"timeout": 150, "restore_stuck_after": 5}))
    run.wait_phase({"sending", "sent", "drained"}, timeout=60)
    deadline = time.monotonic() + 30
    while stack.broker_state()[0] < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    backlog = stack.broker_state()
    assert backlog[0] > 0, f"no backlog to kill workers in: {backlog}"
    killed = []
    for _ in range(3):  # the pool replaces its processes; kill the new ones too
        killed += stack.kill_pool_children("w1")
        time.sleep(0.7)
    stack.kill_worker("w2")
    stack.start_worker("w3")
    stack.wait_ready(["w1", "w3"])
    summary = run.wait(timeout=240)
    report(stack, scenario, expected, summary, stack.deadlocks() - deadlocks)
    print(f"killed w1 pool processes {killed} and worker w2 with {backlog[0]} messages waiting, "
          f"{backlog[1]} unacknowledged")
    assert killed, "w1 had no pool processes to kill"
    assert "WorkerLostError" in stack.worker_log("w1"), \
        "no task was running in a killed pool process (nothing was redelivered)"
    assert summary["restored"] >= 1, "the killed worker left no unacknowledged message"
    assert_matches(expected, summary, scenario, stack, marks)
