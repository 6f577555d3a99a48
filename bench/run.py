#!/usr/bin/env python
"""
openedx-microcred benchmark: receiver cost, evaluation throughput, backfill throughput and memory,
signing throughput against the JavaScript reference, and registry delivery throughput.

    .venv/bin/python bench/run.py            # the full run (make bench), under ~10 minutes
    .venv/bin/python bench/run.py --quick    # a smaller run for development (~2 minutes)

Everything runs against throwaway SQLite files in a temporary directory (removed at the end
unless ``--keep``), never the developer's database. Prints the figures against the targets and
exits 0; a non-zero exit means the bench itself crashed. See ``measure.py`` for what phases 1-3
time, ``catalogue.py`` / ``workload.py`` for their data, ``signing_bench.py`` (4: Python against
the JavaScript reference, needs node) and ``delivery_bench.py`` (5: webhook deliveries).
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import env  # noqa: E402
import stats  # noqa: E402
from targets import EVALUATE_RATE, RECEIVER_MAX_QUERIES, RECEIVER_P99_US  # noqa: E402


@dataclass(frozen=True)
class Config:
    name: str
    programs: int
    courses: int
    users: int
    per_user: int
    receiver_events: int
    receiver_warmup: int
    receiver_query_events: int
    evaluate_events: int
    evaluate_query_events: int
    profile_events: int
    backfill_scales: tuple[int, ...]
    backfill_learners: int
    backfill_batch: int
    traced_learners: int
    traced_batch: int
    sign_iterations: int  # 4. signatures per side and per round, after sign_warmup
    sign_warmup: int
    sign_rounds: int  # rounds alternate which side goes first; each side's best is reported
    deliveries: int  # 5. Delivery rows (CLR stored) drained by a timed drain()
    first_deliveries: int  # 5. first deliveries (CLR built on first use) drained by another
    delivery_warmup: int


FULL = Config(
    name="full", programs=1000, courses=5000, users=10_000, per_user=10,
    receiver_events=5000, receiver_warmup=500, receiver_query_events=1000,
    evaluate_events=2000, evaluate_query_events=200, profile_events=300,
    backfill_scales=(10**4, 10**5, 10**6), backfill_learners=500, backfill_batch=100,
    traced_learners=100, traced_batch=50,
    sign_iterations=500, sign_warmup=50, sign_rounds=2, deliveries=2000,
    first_deliveries=100, delivery_warmup=100,
)
QUICK = Config(
    name="quick", programs=200, courses=1000, users=2000, per_user=10,
    receiver_events=1000, receiver_warmup=200, receiver_query_events=200,
    evaluate_events=300, evaluate_query_events=50, profile_events=100,
    backfill_scales=(10**4, 10**5), backfill_learners=100, backfill_batch=50,
    traced_learners=50, traced_batch=25,
    sign_iterations=100, sign_warmup=20, sign_rounds=1, deliveries=500,
    first_deliveries=30, delivery_warmup=50,
)

_STARTED = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- workers ---

def worker(args: argparse.Namespace) -> int:
    """A child process: load data into ``--db``, run the backfill there, time signing (4) or
    deliveries (5)."""
    env.setup_django(args.db)
    if args.worker == "sign":
        import signing_bench

        out = signing_bench.sign_worker(iterations=args.iterations, warmup=args.warmup,
                                        rounds=args.rounds, shipped=args.shipped,
                                        profile=args.profile)
    elif args.worker == "delivery":
        import delivery_bench

        out = delivery_bench.delivery_worker(deliveries=args.deliveries,
                                             first_deliveries=args.first_deliveries,
                                             warmup=args.warmup, profile=args.profile)
    elif args.worker == "load":
        import catalogue
        import workload

        cat = catalogue.generate(args.programs, args.courses)
        start = time.perf_counter()
        loaded = workload.load(cat, users=args.users, per_user=args.per_user, sample=0)
        out = {"seconds": time.perf_counter() - start, "completions": loaded.completions,
               "externals": loaded.externals, "users": loaded.users}
    else:
        import measure

        out = measure.backfill_worker(learners=args.learners, batch_size=args.batch_size,
                                      trace=args.trace, with_profile=args.profile_backfill)
    env.checkpoint_and_close()
    Path(args.out).write_text(json.dumps(out), encoding="utf-8")
    return 0


def child(kind: str, db: Path, out: Path, **options) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--db", str(db),
               "--out", str(out)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            command.append(flag)
        elif value not in (False, None):
            command += [flag, str(value)]
    subprocess.run(command, check=True, cwd=env.REPO)
    return json.loads(out.read_text(encoding="utf-8"))


# -------------------------------------------------------------------------------- the run ---

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (~2 minutes)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary databases")
    parser.add_argument("--workdir", help="directory for the bench databases (default: a new "
                        "temporary directory)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="cProfile a phase whose target is missed, and the backfill with "
                             "evaluation (auto), every phase (always), or none")
    parser.add_argument("--worker", choices=("load", "backfill", "sign", "delivery"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    for name in ("programs", "courses", "users", "per-user", "learners", "batch-size",
                 "iterations", "warmup", "rounds", "deliveries", "first-deliveries"):
        parser.add_argument(f"--{name}", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-backfill", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shipped", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    config = QUICK if args.quick else FULL
    command = "cd {} && {}".format(
        shlex.quote(str(env.REPO)),
        " ".join(shlex.quote(part) for part in [os.path.relpath(sys.executable, env.REPO)]
                 + [os.path.relpath(Path(__file__).resolve(), env.REPO)] + sys.argv[1:]))
    load_start = stats.load_average()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="microcred-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    log(f"{config.name} run in {workdir}")
    try:
        report = run(config, workdir, args.profile)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    report["command"] = command
    report["load_start"] = load_start
    report["load_end"] = stats.load_average()
    report["elapsed"] = time.perf_counter() - _STARTED
    report["workdir"] = f"{workdir} ({'kept' if args.keep else 'removed'})"
    import report as printer

    printer.print_report(report)
    return 0


def run(config: Config, workdir: Path, profile_mode: str) -> dict:
    import catalogue
    import measure
    import workload

    main_db = workdir / "main.sqlite3"
    catalogue_db = workdir / "catalogue.sqlite3"
    env.setup_django(main_db)
    env.migrate()
    report: dict = {"config": config, "environment": env.describe()}

    cat = catalogue.generate(config.programs, config.courses)
    log(f"importing {config.programs} programmes over {cat.course_count} courses "
        "(openedx_microcred.programs.import_program)")
    start = time.perf_counter()
    catalogue.import_all(cat)
    report["import_s"] = time.perf_counter() - start
    report["catalogue"] = _catalogue_facts(cat)
    env.checkpoint_and_close()
    shutil.copyfile(main_db, catalogue_db)

    log(f"loading {config.users} learners x {config.per_user} completions")
    start = time.perf_counter()
    loaded = workload.load(cat, users=config.users, per_user=config.per_user)
    report["load"] = {"seconds": time.perf_counter() - start, "users": loaded.users,
                      "completions": loaded.completions, "externals": loaded.externals}
    course_keys = [cat.course_key(o, n) for o in range(cat.orgs) for n in range(cat.numbers)]

    log(f"1. receivers: {config.receiver_warmup} warm-up + {config.receiver_events} timed events")
    receivers = measure.receivers(
        loaded.sample_pairs, course_keys, events=config.receiver_events,
        warmup=config.receiver_warmup, query_events=config.receiver_query_events)
    report["receivers"] = receivers
    receivers_ok = (stats.percentile(receivers.send_us, 99) < RECEIVER_P99_US
                    and max(receivers.queries) <= RECEIVER_MAX_QUERIES)
    if profile_mode == "always" or (profile_mode == "auto" and not receivers_ok):
        log("profiling the receivers")
        report["receivers_profile"] = measure.profile_receivers(loaded.sample_pairs, course_keys)

    log(f"2. evaluate: warming the definition cache, then {config.evaluate_events} events x 2")
    evaluation = measure.evaluate(loaded.sample_pairs, events=config.evaluate_events,
                                  query_events=config.evaluate_query_events)
    report["evaluate"] = evaluation
    evaluate_ok = all(p.rate >= EVALUATE_RATE for p in evaluation.passes)
    if profile_mode == "always" or (profile_mode == "auto" and not evaluate_ok):
        log(f"profiling evaluate_learner over {config.profile_events} events x 2")
        report["evaluate_profile"] = measure.profile_evaluate(
            evaluation.spare[:config.profile_events])
        report["read_cost"] = measure.read_cost(
            evaluation.spare[config.profile_events:config.profile_events + 500])
    env.checkpoint_and_close()

    report["backfill"] = []
    for completions in config.backfill_scales:
        users = completions // config.per_user
        db = workdir / f"backfill-{completions}.sqlite3"
        shutil.copyfile(catalogue_db, db)
        log(f"3. backfill at {completions:,} completions: loading {users:,} learners")
        load = child("load", db, workdir / "load.json", programs=config.programs,
                     courses=config.courses, users=users, per_user=config.per_user)
        log(f"   backfill of the first {config.backfill_learners} learners "
            f"(batches of {config.backfill_batch})")
        timed = child("backfill", db, workdir / "timed.json", learners=config.backfill_learners,
                      batch_size=config.backfill_batch)
        log(f"   resumed from the checkpoint under tracemalloc for {config.traced_learners} "
            "more learners")
        traced = child("backfill", db, workdir / "traced.json", learners=config.traced_learners,
                       batch_size=config.traced_batch, trace=True)
        profiled = None
        profile_backfill = profile_mode == "always" or (profile_mode == "auto"
                                                        and not evaluate_ok)
        if profile_backfill and completions == config.backfill_scales[-1]:
            log("   profiling the backfill of 100 more learners")
            profiled = child("backfill", db, workdir / "profiled.json", learners=100,
                             batch_size=50, profile_backfill=True).get("profile")
        report["backfill"].append({"completions": completions, "load": load, "timed": timed,
                                   "traced": traced, "profile": profiled})
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)

    log(f"4. signing: {config.sign_rounds} round(s) of {config.sign_warmup} warm-up + "
        f"{config.sign_iterations} timed signatures and verifications, Python and node "
        "(@digitalbazaar/vc), pinned to one CPU")
    report["signing"] = child("sign", workdir / "sign.sqlite3", workdir / "sign.json",
                              iterations=config.sign_iterations, warmup=config.sign_warmup,
                              rounds=config.sign_rounds, shipped=True, profile=profile_mode)
    log(f"5. delivery: drain() in one worker process, webhook receiver in another: "
        f"{config.deliveries:,} deliveries with the CLR stored, {config.first_deliveries} first "
        "deliveries (CLR built on first use), each after a warm-up")
    report["delivery"] = child("delivery", workdir / "delivery.sqlite3",
                               workdir / "delivery.json", deliveries=config.deliveries,
                               first_deliveries=config.first_deliveries,
                               warmup=config.delivery_warmup, profile=profile_mode)
    return report


def _catalogue_facts(cat) -> dict:
    from django.db.models import Count

    from openedx_microcred.models import Program, ProgramLeafIndex, ProgramVersion

    kinds = dict(ProgramLeafIndex.objects.values_list("kind").annotate(n=Count("id")))
    per_key = (ProgramLeafIndex.objects.filter(kind__in=["course", "course-run"])
               .values("key").annotate(n=Count("id")).order_by("-n").values_list("n", flat=True))
    counts = list(per_key)
    return {
        "programs": Program.objects.filter(published_version__isnull=False).count(),
        "versions": ProgramVersion.objects.filter(status="published").count(),
        "courses": cat.course_count, "leaf_index": kinds,
        "max_programmes_per_course": counts[0] if counts else 0,
        "mean_programmes_per_course": sum(counts) / len(counts) if counts else 0,
        "stacking": Program.objects.filter(leaf_index__kind="program").distinct().count(),
        "external": Program.objects.filter(leaf_index__kind="external").distinct().count(),
        "certificate": sum('completion="certificate"' in x for x in cat.xmls),
    }


if __name__ == "__main__":
    sys.exit(main())
