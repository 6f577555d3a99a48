"""Small measuring helpers: percentiles, memory, load, and a cProfile summary by product step."""
from __future__ import annotations

import cProfile
import io
import os
import pstats
import resource
import threading
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


class PeakRss:
    """The peak RSS of this process from ``start()`` on.

    Linux resets the high-water mark (VmHWM) when 5 is written to /proc/self/clear_refs; where
    that is not allowed, a thread samples the RSS every 2 ms instead.
    """

    def __init__(self) -> None:
        self.method = ""
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
                handle.write("5")
            self.method = "VmHWM reset at start"
        except OSError:
            self.method = "sampled every 2 ms"
            self._peak = rss_bytes()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._peak = max(self._peak, rss_bytes())

    def stop(self) -> int:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            return max(self._peak, rss_bytes())
        return _status_kib("VmHWM") * 1024


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


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


def own_time_by_package(stats: pstats.Stats, count: int = 8) -> list[tuple[str, float]]:
    """Own time grouped by where the code lives: ``(package or product module, seconds)``."""
    raw = stats.stats  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _, function), (_, _, tt, _, _) in raw.items():
        groups[_package(filename, function)] = groups.get(_package(filename, function), 0) + tt
    return sorted(groups.items(), key=lambda item: item[1], reverse=True)[:count]


def _package(filename: str, function: str) -> str:
    if filename == "~":
        if "sqlite3" in function or "SQLiteCursorWrapper" in function:
            return "sqlite3 (C)"
        return "builtins (C)"
    if "site-packages/" in filename:
        parts = filename.split("site-packages/", 1)[1].split("/")
        if parts[0] == "django" and len(parts) > 2:
            return "/".join(parts[:3]) if parts[1] == "db" else "/".join(parts[:2])
        return parts[0]
    if "/openedx_microcred/" in filename:
        return "openedx_microcred/" + filename.split("/openedx_microcred/", 1)[1]
    parts = filename.rsplit("/", 2)
    return "/".join(parts[-2:]) if len(parts) > 1 else filename


def per_call(stats: pstats.Stats, path: str, name: str) -> tuple[int, float]:
    """``(calls, inclusive seconds per call)`` of one function."""
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, calls, _, ct, _) in raw.items():
        if function == name and filename.endswith(path):
            return calls, ct / calls if calls else 0.0
    return 0, 0.0
