"""Small measuring helpers: percentiles, memory, load, and a cProfile summary by product step."""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import resource
from collections.abc import Callable, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` (0–100) percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def rss_bytes() -> int:
    """The current resident set size of this process."""
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    """The peak resident set size of this process since it started (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} CPUs)"


def profile(fn: Callable[[], object]) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        fn()
    finally:
        profiler.disable()
    return pstats.Stats(profiler, stream=io.StringIO())


# (label, module path suffix, function name): inclusive time of these product steps.
EVALUATION_STEPS = [
    ("evaluation.evaluate_learner (total)", "openedx_microcred/evaluation.py", "evaluate_learner"),
    ("  load_record (completions, externals, credentials: 3 queries)",
     "openedx_microcred/evaluation.py", "load_record"),
    ("  _candidates (leaf index query)", "openedx_microcred/evaluation.py", "_candidates"),
    ("  _candidates_for_record (backfill: leaf index query)", "openedx_microcred/evaluation.py",
     "_candidates_for_record"),
    ("  _progress_rows (progress query)", "openedx_microcred/evaluation.py", "_progress_rows"),
    ("  rules.evaluate (pure rules)", "openedx_microcred/rules.py", "evaluate"),
    ("  _store_progress (progress write)", "openedx_microcred/evaluation.py", "_store_progress"),
    ("  issuance.issue (credential write)", "openedx_microcred/issuance.py", "issue"),
    ("  _with_credentials (re-read after issuing)", "openedx_microcred/evaluation.py",
     "_with_credentials"),
    ("  transaction.atomic enter/exit (BEGIN/COMMIT, savepoints)",
     "django/db/transaction.py", "__exit__"),
]

RECEIVER_STEPS = [
    ("testutils.send_* (payload + signal send)", "openedx_microcred/testutils.py", "_send"),
    ("  openedx-events dispatch (validation + receivers)", "openedx_events/tooling.py",
     "_send_event_with_metadata"),
    ("  receiver: completions._upsert (the one statement)", "openedx_microcred/completions.py",
     "_upsert"),
    ("  receiver: _enqueue (transaction.on_commit)", "openedx_microcred/receivers.py", "_enqueue"),
    ("  receiver: _identity (str(CourseKey) x2, org, number)",
     "openedx_microcred/receivers.py", "_identity"),
    ("  payload: CourseKey.from_string", "opaque_keys/__init__.py", "from_string"),
]

# C-level database calls: time inside SQLite itself (including fetching rows).
_SQLITE_CALLS = ("execute", "executemany", "fetchmany", "fetchall", "fetchone", "commit")


def step_table(stats: pstats.Stats, steps, events: int) -> list[tuple[str, float, float]]:
    """``(label, µs per event, share of total)`` for each step found in ``stats``."""
    raw = stats.stats  # type: ignore[attr-defined]
    total_time = max((ct for (_, _, _, ct, _) in raw.values()), default=0.0)
    rows = []
    for label, path, name in steps:
        inclusive = 0.0
        for (filename, _, function), (_, _, _, ct, _) in raw.items():
            if function == name and filename.endswith(path):
                inclusive = max(inclusive, ct)  # recursion-safe: the outermost entry
        if inclusive:
            rows.append((label, inclusive / events * 1e6, inclusive / total_time))
    sqlite = sum(tt for (filename, _, function), (_, _, tt, _, _) in raw.items()
                 if filename == "~" and any(f"'{call}' of 'sqlite3." in function
                                            for call in _SQLITE_CALLS))
    rows.append(("SQLite itself (C calls: execute/fetch/commit)", sqlite / events * 1e6,
                 sqlite / total_time))
    orm = sum(tt for (filename, _, _), (_, _, tt, _, _) in raw.items()
              if "/django/db/models/" in filename)
    rows.append(("Django ORM Python (query building, compiling, row conversion)",
                 orm / events * 1e6, orm / total_time))
    return rows


def top_functions(stats: pstats.Stats, count: int = 12) -> list[tuple[str, float, int]]:
    """The ``count`` functions with the most own time: ``(name, seconds, calls)``."""
    raw = stats.stats  # type: ignore[attr-defined]
    items = sorted(raw.items(), key=lambda item: item[1][2], reverse=True)[:count]
    out = []
    for (filename, line, function), (_, calls, tt, _, _) in items:
        where = filename.split("site-packages/")[-1].split("/work/main/")[-1]
        out.append((f"{where}:{line}({function})", tt, calls))
    return out
