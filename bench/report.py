"""Printing the bench report: environment, data, the results table, profiles and suggestions."""
from __future__ import annotations

import report_vc
import stats
from targets import (
    EVALUATE_RATE,
    FLAT_RATIO,
    FLAT_SLACK,
    RECEIVER_MAX_QUERIES,
    RECEIVER_P99_US,
)

MB = 2**20


def print_report(report: dict) -> None:
    config = report["config"]
    print()
    print(f"openedx-microcred benchmark ({config.name} run)")
    print("=" * 100)
    print(f"Command: {report['command']}")
    print(f"Finished in {report['elapsed']:.0f} s; databases in {report['workdir']}")
    print()
    print("Environment")
    for name, value in report["environment"]:
        print(f"  {name + ':':28} {value}")
    print(f"  {'Load average at start:':28} {report['load_start']}")
    print(f"  {'Load average at end:':28} {report['load_end']}")
    print("  (one process, one thread; other processes on this machine share its CPUs, so wall")
    print("   times are also given as CPU-time rates, which contention affects less)")
    print()
    _print_data(report)
    rows = (_receiver_rows(report) + _evaluate_rows(report) + _backfill_rows(report)
            + report_vc.rows(report))
    print()
    print("Results")
    _table(["metric", "figure", "target", "verdict"], [row[:4] for row in rows])
    _print_method(report)
    missed = [row[4] for row in rows if row[3] == "MISSES"]
    print()
    if missed:
        print("Targets missed: " + "; ".join(missed))
    else:
        print("Every target is met.")
    _print_profiles(report)
    report_vc.print_profiles(report)
    notes = _suggestions(report) + report_vc.suggestions(report)
    if notes:
        print()
        print("Where the time goes, and what would help (from the profiles above)")
        print("-" * 100)
        for note in notes:
            print(_wrap("- " + note, indent="  "))
    print()


def _print_data(report: dict) -> None:
    cat, load = report["catalogue"], report["load"]
    leaf = ", ".join(f"{kind} {count:,}" for kind, count in sorted(cat["leaf_index"].items()))
    print("Data (generated, deterministic seeds)")
    print(_wrap(
        f"  catalogue: {cat['programs']:,} published programmes ({cat['versions']:,} published "
        f"versions) over {cat['courses']:,} courses, imported one by one with "
        f"openedx_microcred.programs.import_program in {report['import_s']:.1f} s "
        f"({cat['programs'] / report['import_s']:.0f} programmes/s); leaf index rows: {leaf}; "
        f"a course (or run) index key reaches {cat['mean_programmes_per_course']:.1f} "
        f"programmes on average, {cat['max_programmes_per_course']} at most; "
        f"{cat['stacking']} stack on other programmes, {cat['external']} have an external "
        f"(badge) leaf, {cat['certificate']} use completion=\"certificate\"; nested groups with "
        "min-count / min-credits, ~20% runs=\"this\" leaves.", indent="    "))
    print(_wrap(
        f"  phases 1-2: {load['users']:,} learners, {load['completions']:,} completions, "
        f"{load['externals']:,} badge achievements, bulk-inserted (executemany) in "
        f"{load['seconds']:.1f} s.", indent="    "))


def _print_method(report: dict) -> None:
    config, receivers = report["config"], report["receivers"]
    mix = ", ".join(f"{kind} {count}" for kind, count in sorted(receivers.mix.items()))
    method = next((s["timed"].get("rss_method") for s in report["backfill"]), "")
    print()
    print("How it was measured")
    for text in (
        f"1. {config.receiver_warmup} warm-up events, then {config.receiver_events:,} timed, each "
        "sent with openedx_microcred.testutils (the real openedx-events signals and data) inside "
        "its own transaction.atomic(); the timer covers the send only (payload, dispatch, "
        "receiver), not the COMMIT and the on_commit enqueue after it. Celery publishes to its "
        "in-memory transport here, so no evaluation runs in this phase. Queries are counted on "
        f"{config.receiver_query_events:,} further events (CaptureQueriesContext). Mix: {mix}.",
        "2. evaluate_learner(user_id, course_key=...) for random (learner, course) pairs taken "
        "from the loaded completions, one process, after parsing every published definition "
        "into the cache. 'new facts' is the first evaluation of each pair (progress rows "
        "created, credentials issued and signed); 'repeat' sends the same events again (nothing "
        "changes). Queries are counted on other learners.",
        f"3. For each scale a copy of the catalogue database gets learners x {config.per_user} "
        "completions; run_backfill() (batches of "
        f"{config.backfill_batch}) runs in a child process and is stopped from on_batch after "
        f"{config.backfill_learners:,} learners (each batch's checkpoint is committed first). "
        f"RSS peak: {method}. A second child resumes from that checkpoint under tracemalloc "
        f"for {config.traced_learners:,} more learners.",
        *report_vc.method(report),
    ):
        print(_wrap("  " + text, indent="     "))


# ----------------------------------------------------------------------------------- rows ---

def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


Row = tuple[str, str, str, str, str]  # metric, figure, target, verdict, short name


def _receiver_rows(report: dict) -> list[Row]:
    r = report["receivers"]
    pct = stats.percentile
    send = (pct(r.send_us, 50), pct(r.send_us, 99), max(r.send_us))
    cpu = (pct(r.send_cpu_us, 50), pct(r.send_cpu_us, 99), max(r.send_cpu_us))
    payload = (pct(r.payload_us, 50), pct(r.payload_us, 99))
    commit = (pct(r.commit_us, 50), pct(r.commit_us, 99))
    enqueues = sorted(set(r.on_commit))
    most = max(r.queries)
    return [
        (f"1. Receivers: SQL queries per event (max / mean of {len(r.queries):,})",
         f"{most} / {sum(r.queries) / len(r.queries):.2f}", f"<= {RECEIVER_MAX_QUERIES}",
         _verdict(most <= RECEIVER_MAX_QUERIES), "1. receiver queries/event"),
        ("   on_commit enqueues registered per event",
         (f"{enqueues[0]} (every event)" if len(enqueues) == 1
          else f"{enqueues[0]}..{enqueues[-1]}"), "exactly 1", _verdict(enqueues == [1]),
         "1. one on_commit per event"),
        (f"   signal send p50 / p99 / max, wall ({r.events:,} events)",
         f"{send[0]:,.0f} / {send[1]:,.0f} / {send[2]:,.0f} us",
         f"p99 < {RECEIVER_P99_US:,.0f} us", _verdict(send[1] < RECEIVER_P99_US),
         "1. receiver p99 (wall clock)"),
        ("   same, thread CPU time (excludes time preempted)",
         f"{cpu[0]:,.0f} / {cpu[1]:,.0f} / {cpu[2]:,.0f} us", f"p99 < {RECEIVER_P99_US:,.0f} us",
         _verdict(cpu[1] < RECEIVER_P99_US), "1. receiver p99 (thread CPU time)"),
        ("     building the payload alone (signals off) p50 / p99",
         f"{payload[0]:,.0f} / {payload[1]:,.0f} us", "-", "info", ""),
        ("     so dispatch + receiver, p50", f"{send[0] - payload[0]:,.0f} us", "-", "info", ""),
        ("   COMMIT + enqueue after the block p50 / p99 (not timed)",
         f"{commit[0]:,.0f} / {commit[1]:,.0f} us", "-", "info", ""),
        ("   rejected events / completion rows inserted",
         f"{r.rejected} / {r.completions_after - r.completions_before:,}", "0 / -",
         _verdict(r.rejected == 0), "1. no rejected events"),
    ]


def _evaluate_rows(report: dict) -> list[Row]:
    e = report["evaluate"]
    rows: list[Row] = [("2. Evaluate: definition cache warmed first (as a worker)",
                        f"{e.versions:,} versions in {e.warm_s:.1f} s", "-", "info", "")]
    for p in e.passes:
        queries = e.queries.get(p.label)
        rows += [
            (f"   events/s, {p.label} ({p.events:,} events, 1 process)",
             f"{p.rate:,.0f} /s (CPU time: {p.cpu_rate:,.0f} /s)", f">= {EVALUATE_RATE:,.0f} /s",
             _verdict(p.rate >= EVALUATE_RATE), f"2. evaluate events/s ({p.label})"),
            ("     latency p50 / p99 / max",
             f"{stats.percentile(p.latencies_ms, 50):.1f} / "
             f"{stats.percentile(p.latencies_ms, 99):.1f} / {max(p.latencies_ms):.1f} ms",
             "-", "info", ""),
            ("     programmes evaluated per event; credentials issued",
             f"{p.programmes / p.events:.1f}; {p.issued:,}", "-", "info", ""),
        ]
        if p.issuing_ms:
            plain = sorted(p.latencies_ms)
            for value in p.issuing_ms:
                plain.remove(value)
            rows.append(("     latency p50, events that issued a credential / others",
                         f"{stats.percentile(p.issuing_ms, 50):.1f} ms ({len(p.issuing_ms)}) / "
                         f"{stats.percentile(plain, 50):.1f} ms", "-", "info", ""))
        if queries:
            rows.append(("     SQL queries per event (mean / max, other learners)",
                         f"{queries[0]:.1f} / {queries[1]}", "-", "info", ""))
    return rows


def _backfill_rows(report: dict) -> list[Row]:
    config = report["config"]
    rows: list[Row] = [(f"3. Backfill: the same first {config.backfill_learners:,} learners "
                        "at every scale", "", "", "", "")]
    for scale in report["backfill"]:
        timed, traced, load = scale["timed"], scale["traced"], scale["load"]
        total = timed["remaining_before"]
        scope = ("all" if timed["finished"] else "first") + f" {timed['learners']:,} of {total:,}"
        first_batch = timed["samples"][0]["rss"] if timed["samples"] else timed["rss_before"]
        rows += [
            (f"   {scale['completions']:,} completions: learners/s ({scope})",
             f"{timed['learners'] / timed['wall_s']:,.1f} /s "
             f"(CPU time: {timed['learners'] / timed['cpu_s']:,.1f} /s)", "-", "info", ""),
            ("     RSS before / after 1st batch / peak during the run",
             f"{timed['rss_before'] / MB:.1f} / {first_batch / MB:.1f} / "
             f"{timed['rss_peak'] / MB:.1f} MB", "flat", "info", ""),
            (f"     tracemalloc peak, next {traced['learners']:,} learners (resumed)",
             f"{traced['traced_peak'] / MB:.2f} MB", "flat", "info", ""),
            ("     programme evaluations per learner; credentials issued",
             f"{timed['progress_rows'] / max(timed['learners'], 1):.1f}; {timed['issued']:,}",
             "-", "info", ""),
            ("     bulk insert of the completions",
             f"{load['completions']:,} rows in {load['seconds']:.1f} s", "-", "info", ""),
        ]
        if timed.get("page_ms"):
            page = timed["page_ms"]
            rows.append(("     learner-id page query (first / middle / last page)",
                         f"{page['first']:.1f} / {page['middle']:.1f} / {page['last']:.1f} ms",
                         "-", "info", ""))
    scales = report["backfill"]
    if len(scales) >= 2:
        first, last = scales[0], scales[-1]

        def growth(scale: dict) -> float:
            return max(0, scale["timed"]["rss_peak"] - scale["timed"]["rss_before"])

        def flat(small: float, large: float) -> bool:
            return large <= max(small * FLAT_RATIO, small + FLAT_SLACK)

        ok = (flat(growth(first), growth(last))
              and flat(first["traced"]["traced_peak"], last["traced"]["traced_peak"]))
        rows.append((
            f"   memory flat, {first['completions']:,} -> {last['completions']:,} completions",
            f"RSS growth {growth(first) / MB:.1f} -> {growth(last) / MB:.1f} MB; tracemalloc "
            f"{first['traced']['traced_peak'] / MB:.2f} -> "
            f"{last['traced']['traced_peak'] / MB:.2f} MB",
            f"<= {FLAT_RATIO}x or +{FLAT_SLACK // MB} MB", _verdict(ok), "3. backfill memory flat"))
    return rows


# ------------------------------------------------------------------------------- profiles ---

def _print_profiles(report: dict) -> None:
    sections = []
    if report.get("receivers_profile"):
        profiled, events = report["receivers_profile"]
        sections.append((f"receivers: cProfile of {events:,} sends", profiled, events,
                         stats.RECEIVER_STEPS))
    for label, (profiled, events) in (report.get("evaluate_profile") or {}).items():
        sections.append((f"evaluate_learner, {label}: cProfile of {events:,} events",
                         profiled, events, stats.EVALUATION_STEPS))
    for title, profiled, events, steps in sections:
        print()
        print(f"Profile: {title} (cProfile inflates Python-heavy code; read shares, not µs)")
        print("-" * 100)
        _table(["step", "us/event", "share"],
               [(label, f"{us:,.0f}", f"{share:.0%}")
                for label, us, share in stats.step_table(profiled, steps, events)])
        total = sum(tt for (_, _, tt, _, _) in profiled.stats.values()) or 1.0
        print("  own time by package / module:")
        for name, seconds in stats.own_time_by_package(profiled):
            print(f"    {seconds / events * 1e6:8.0f} us/event  {seconds / total:4.0%}  {name}")
        print("  functions with the most own time:")
        for name, seconds, calls in stats.top_functions(profiled, 8):
            print(f"    {seconds / events * 1e6:8.0f} us/event  {calls:>9,} calls  {name}")
    cost = report.get("read_cost")
    if cost:
        print()
        print(f"Estimate (no profiler, thread CPU time, {cost['events']:,} events): "
              "evaluate_learner's reads and rules")
        print("-" * 100)
        _table(["", "us/event"], [
            ("the reads (load_record, _candidates, _progress_rows: plain SQL)",
             f"{cost['reads_us']:,.0f}"),
            (f"rules.evaluate alone ({cost['programmes']:.1f} programmes per event)",
             f"{cost['rules_us']:,.0f}"),
        ])
    for scale in report["backfill"]:
        if scale.get("profile"):
            profile = scale["profile"]
            print()
            print(f"Profile: backfill at {scale['completions']:,} completions, "
                  f"{profile['learners']} more learners (cProfile, per learner)")
            print("-" * 100)
            learners = max(profile["learners"], 1)
            _table(["step", "us/learner", "share"],
                   [(label, f"{us:,.0f}", f"{share:.0%}") for label, us, share in profile["steps"]])
            print("  own time by package / module (top):")
            for name, seconds in profile["packages"]:
                print(f"    {seconds / learners * 1e6:8.0f} us/learner  {name}")
            print("  functions with the most own time:")
            for name, seconds, calls in profile["top"][:8]:
                print(f"    {seconds / learners * 1e6:8.0f} us/learner  {calls:>9,} calls  {name}")


def _step(profiled, steps, events: int, prefix: str) -> tuple[float, float]:
    for label, us, share in stats.step_table(profiled, steps, events):
        if label.strip().startswith(prefix):
            return us, share
    return 0.0, 0.0


def _suggestions(report: dict) -> list[str]:
    notes: list[str] = []
    profiles = report.get("evaluate_profile") or {}
    evaluation = report["evaluate"]
    if profiles:
        new_stats, events = profiles["new facts"]
        steps = stats.EVALUATION_STEPS
        orm_us, orm_share = _step(new_stats, steps, events, "Django ORM")
        sql_us, _ = _step(new_stats, steps, events, "SQLite itself")
        queries = evaluation.queries.get("new facts", (0, 0))[0]
        programmes = sum(p.programmes for p in evaluation.passes[:1]) / max(
            evaluation.passes[0].events, 1)
        notes.append(
            f"Django ORM Python is {orm_share:.0%} of evaluate_learner ({orm_us:,.0f} us/event "
            f"under cProfile) against {sql_us:,.0f} us inside SQLite, for {queries:.1f} queries "
            "per event (the per-event reads are plain SQL, hotpath.py; what remains is "
            "issuance and the progress writes).")
        repeat_stats, repeat_events = profiles.get("repeat (no change)", (new_stats, events))
        rules_us, rules_share = _step(repeat_stats, steps, repeat_events, "rules.evaluate")
        if rules_share > 0.05:
            notes.append(
                f"rules.evaluate is {rules_share:.0%} of a repeated event ({rules_us:,.0f} "
                f"us/event under cProfile for {programmes:.1f} programmes; results are indexed "
                "by course per record and credits summed bottom-up, so it is linear in the "
                "leaves).")
        store_us, store_share = _step(new_stats, steps, events, "_store_progress")
        if store_share > 0.05:
            notes.append(
                f"_store_progress is {store_share:.0%} ({store_us:,.0f} us/event) on new facts: "
                "one UPDATE per changed programme, one upsert per new one; batching the event's "
                "writes into one statement would help the backfill most.")
        cand_us, cand_share = _step(new_stats, steps, events, "_candidates (")
        if cand_share > 0.05:
            notes.append(
                f"_candidates is {cand_share:.0%} ({cand_us:,.0f} us/event): the leaf index only "
                "changes on publish, so a per-process map from index key to (programme, "
                "version) — reloaded when a cheap catalogue generation number changes — would "
                "remove this query from every event.")
        issue_us, issue_share = _step(new_stats, steps, events, "issuance.issue")
        if issue_share > 0.05:
            calls, each = stats.per_call(new_stats, "openedx_microcred/issuance.py", "issue")
            packages = ", ".join(
                f"{name} {seconds / events * 1e6:,.0f} us" for name, seconds
                in stats.own_time_by_package(new_stats, 4))
            notes.append(
                f"issuance.issue is {issue_share:.0%} of evaluate_learner on new facts "
                f"({issue_us:,.0f} us/event under cProfile; {calls} credentials issued, "
                f"{each * 1000:,.1f} ms each). Own time by package: {packages}. Building and "
                "signing the credential (JSON-LD expansion and URDNA2015 canonicalisation in "
                "pure Python) runs inside the learner's evaluation transaction, so it holds the "
                "learner lock (and on SQLite the write lock) the whole time. Options: cache "
                "the expanded @context per process (it is bundled and constant); canonicalise "
                "the fixed document shape once and fill in values; or write the credential row "
                "in the transaction and sign it in a follow-up task (the outbox pattern the "
                "design already uses for deliveries).")
        cost = report.get("read_cost")
        best = max(p.cpu_rate for p in evaluation.passes)
        text = (f"The best CPU-time rate measured here is {best:,.0f} events/s against "
                f"{EVALUATE_RATE:,.0f}/s.")
        if cost:
            floor_us = cost["reads_us"] + cost["rules_us"]
            text += (
                f" Without the profiler (CPU time), the reads cost {cost['reads_us']:,.0f} us per "
                f"event and the rules {cost['rules_us']:,.0f} us for {cost['programmes']:.1f} "
                f"programmes: {floor_us:,.0f} us, about {1e6 / floor_us:,.0f} events/s before "
                "any write or signature.")
        notes.append(text + " Evaluations of different learners also run in parallel across "
                     "Celery workers on MySQL (SQLite serialises writers; this bench measures "
                     "one process).")
    backfill_profile = next((s["profile"] for s in report["backfill"] if s.get("profile")), None)
    if backfill_profile:
        shares = {label.strip().split(" ")[0]: share
                  for label, _, share in backfill_profile["steps"]}
        notes.append(
            f"Backfill (profile above): issuance {shares.get('issuance.issue', 0):.0%}, "
            f"progress writes {shares.get('_store_progress', 0):.0%}, rules "
            f"{shares.get('rules.evaluate', 0):.0%}. Memory stays flat (keyset pages of "
            "learner ids, one learner at a time), so a backfill could also be shared by several "
            "processes if run_backfill took a learner-id range or shard.")
    if report.get("receivers_profile"):
        profiled, events = report["receivers_profile"]
        steps = stats.RECEIVER_STEPS
        r = report["receivers"]
        wall99 = stats.percentile(r.send_us, 99)
        cpu99 = stats.percentile(r.send_cpu_us, 99)
        send_us, _ = _step(profiled, steps, events, "testutils.send_*")
        upsert_us, _ = _step(profiled, steps, events, "receiver: completions._upsert")
        enqueue_us, _ = _step(profiled, steps, events, "receiver: _enqueue")
        meta_calls, meta_each = stats.per_call(profiled, "openedx_events/tooling.py",
                                               "generate_signal_metadata")
        if wall99 >= RECEIVER_P99_US > cpu99:
            notes.append(
                f"Receivers: the wall-clock p99 ({wall99:,.0f} us) misses while the thread CPU "
                f"time p99 ({cpu99:,.0f} us) meets: the tail is time the process was not "
                "running (other processes on this machine; see the load average), not work "
                "the receiver does.")
        notes.append(
            f"Receivers, under cProfile: of {send_us:,.0f} us per send, the upsert "
            f"(completions._upsert) is {upsert_us:,.0f} us and the on_commit registration "
            f"{enqueue_us:,.0f} us; openedx-events' own metadata generation (uuid1, attrs) is "
            f"{meta_each * 1e6 if meta_calls else 0:,.0f} us and is the LMS's cost, not the "
            "plugin's.")
    return notes


# --------------------------------------------------------------------------------- layout ---

def _table(header: list[str], rows: list[tuple]) -> None:
    widths = [max(len(str(row[i])) for row in [tuple(header)] + rows)
              for i in range(len(header))]

    def line(cells) -> str:
        return "  ".join(str(cell).ljust(width) if i < len(cells) - 1 else str(cell)
                         for i, (cell, width) in enumerate(zip(cells, widths, strict=True)))
    print(line(header))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row).rstrip())


def _wrap(text: str, indent: str = "", width: int = 100) -> str:
    import textwrap

    return textwrap.fill(text, width=width, subsequent_indent=indent)
