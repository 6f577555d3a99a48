"""
Phase 4, signing throughput against the JavaScript reference: signed credentials per second on
ONE CPU, ``openedx_microcred.credentials.proof.sign`` (Python) and ``@digitalbazaar/vc``'s
``issue`` (node, the stack of ``tests/js/issue.mjs``), same unsigned document (``vc_sample``),
same cryptosuite (eddsa-rdfc-2022), same key, same number of iterations after the same warm-up.

Runs in a child process of ``run.py`` (``--worker sign``) that pins itself to one CPU with
``os.sched_setaffinity`` before anything is timed; node is started from it and inherits the
pinning (its JIT and GC helper threads share that CPU too). Both sides report wall and CPU time
of the timed loop only (node: ``process.cpuUsage``; Python: ``time.process_time``), so process
start-up and module loading are excluded on both sides. Rounds alternate the order (Python
first, then node first) and each side's best round is reported.

Python is timed two ways:

* ``strict``: every signature has its own ``created`` second, so the proof configuration is
  canonicalised every time, as the reference does for every signature: the same work;
* ``cached``: the same ``created`` every time, as in the node run: ``proof`` then reuses its
  cached hash of the proof configuration (``_bundled_config_hash``), as it does for the
  documents of one credential (programme, courses, CLR), or a batch, signed within a second.

Verification: ``proof.verify`` over the strict-signed documents (each with its own proof
configuration) against ``vc.verifyCredential`` (proof, plus vc's credential checks; the status
list is stubbed as not revoked on the JavaScript side; ``proof.verify`` does not read it).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from datetime import timedelta
from importlib import metadata

import env
import stats
import vc_sample
from targets import SIGN_RATIO

JS_DIR = env.REPO / "tests" / "js"
DRIVER = env.REPO / "bench" / "js" / "sign_reference.mjs"
NPM_CI_TIMEOUT = 300
PROFILED_SIGNATURES = 50

# (label, module path suffix, function name): inclusive time of the steps of one signature.
SIGN_STEPS = [
    ("proof.sign (total)", "openedx_microcred/credentials/proof.py", "sign"),
    ("  _hash_data (both canonicalisations + SHA-256)", "openedx_microcred/credentials/proof.py",
     "_hash_data"),
    ("    _bundled_config_hash (the proof configuration)",
     "openedx_microcred/credentials/proof.py", "_bundled_config_hash"),
    ("    canonical.canonize (document and configuration)",
     "openedx_microcred/credentials/canonical.py", "canonize"),
    ("      pyld JsonLdProcessor.to_rdf (expansion + RDF dataset)", "pyld/jsonld.py", "to_rdf"),
    ("        pyld JsonLdProcessor.expand", "pyld/jsonld.py", "expand"),
    ("      pyld URDNA2015.main (blank node labelling + N-Quads)", "pyld/canon.py", "main"),
]


def _pin() -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    cpu = sorted(os.sched_getaffinity(0))[-1]
    os.sched_setaffinity(0, {cpu})
    return cpu


def ensure_node() -> tuple[str | None, str]:
    """``(node, "")`` when the reference stack is installed (``npm ci`` when missing or older
    than the lock file, as ``tests/credentials/conftest.py`` does), else ``(None, why)``."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node:
        return None, "node is not installed"
    installed = JS_DIR / "node_modules" / ".package-lock.json"
    lock = JS_DIR / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        if not npm:
            return None, "tests/js/node_modules is missing and npm is not installed"
        try:
            done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR,
                                  capture_output=True, text=True, timeout=NPM_CI_TIMEOUT,
                                  check=False)
        except subprocess.TimeoutExpired:
            return None, f"npm ci in tests/js did not finish within {NPM_CI_TIMEOUT} s"
        if done.returncode != 0:
            return None, f"npm ci in tests/js failed: {done.stderr.strip()[-300:]}"
    return node, ""


def _node(node: str, args: list[str], payload: dict, timeout: float) -> dict:
    done = subprocess.run([node, *args], input=json.dumps(payload), cwd=JS_DIR,
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"node {args[0]} exited {done.returncode}: {done.stderr[-500:]}")
    return json.loads(done.stdout)


def _loop(count: int, step) -> dict:
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    failures = 0
    for index in range(count):
        failures += not step(index)
    return {"count": count, "seconds": time.perf_counter() - wall_start,
            "cpu_s": time.process_time() - cpu_start, "failures": failures}


def python_round(sample: vc_sample.Sample, *, iterations: int, warmup: int,
                 round_number: int) -> dict:
    from openedx_microcred.credentials import proof
    from openedx_microcred.credentials.did import key_resolver

    document, key, method = sample.unsigned, sample.private_key, sample.verification_method
    # Seconds never used before in this process: the cached proof-configuration hash misses.
    base = vc_sample.ISSUED + timedelta(days=1 + round_number)
    signed: list[dict] = []  # by the timed strict loop
    warm: list[dict] = []  # by its warm-up

    def strict(index: int, offset: int = 0, into: list = signed) -> bool:
        into.append(proof.sign(document, private_key=key, verification_method=method,
                               created=base + timedelta(seconds=offset + index)))
        return True

    def cached(index: int) -> bool:
        proof.sign(document, private_key=key, verification_method=method,
                   created=vc_sample.ISSUED)
        return True

    resolve = key_resolver(sample.did_document)

    def verify(index: int, documents: list = signed) -> bool:
        return proof.verify(documents[index], resolve_key=resolve).verified

    _loop(warmup, lambda i: strict(i, offset=10**6, into=warm))
    _loop(warmup, cached)
    out = {"sign": _loop(iterations, strict), "sign_cached": _loop(iterations, cached)}
    # proof keeps the configuration hashes of the last signatures (an LRU cache): forget them,
    # or verifying what was just signed would skip a canonicalisation the reference does.
    clear = getattr(getattr(proof, "_bundled_config_hash", None), "cache_clear", None)
    if clear:
        clear()
    _loop(warmup, lambda i: verify(i, warm))
    out["verify"] = _loop(iterations, verify)
    return out


def js_round(node: str, sample: vc_sample.Sample, *, iterations: int, warmup: int) -> dict:
    from openedx_microcred.credentials.documents import bundled_contexts

    payload = {"credential": sample.unsigned,
               "documents": {**bundled_contexts(), sample.did: sample.did_document},
               "created": _xsd(vc_sample.ISSUED), "key": sample.key_for_js(),
               "warmup": warmup, "repeat": iterations, "verify": True}
    out = _node(node, ["--input-type=module", "--eval", DRIVER.read_text(encoding="utf-8")],
                payload, timeout=120 + 0.5 * (iterations + warmup))
    proof_value = _proof_value(out["credential"])

    def convert(part: dict | None) -> dict | None:
        if part is None:
            return None
        return {"count": part["count"], "seconds": part["seconds"],
                "cpu_s": part["cpuSeconds"], "failures": part["failures"]}
    return {"sign": convert(out["sign"]), "verify": convert(out["verify"]),
            "proof_value": proof_value}


def shipped_issue(node: str, sample: vc_sample.Sample, *, iterations: int) -> dict:
    """``tests/js/issue.mjs`` itself with ``repeat``: no warm-up, wall clock of its loop."""
    from openedx_microcred.credentials.documents import bundled_contexts

    payload = {"credential": sample.unsigned,
               "documents": {**bundled_contexts(), sample.did: sample.did_document},
               "created": _xsd(vc_sample.ISSUED), "key": sample.key_for_js(),
               "repeat": iterations}
    out = _node(node, ["issue.mjs"], payload, timeout=120 + 0.5 * iterations)
    return {"count": out["count"], "seconds": out["seconds"], "per_second": out["perSecond"],
            "proof_value": _proof_value(out["credential"])}


def sign_worker(*, iterations: int, warmup: int, rounds: int, shipped: bool,
                profile: str = "auto") -> dict:
    from openedx_microcred.credentials import proof

    cpu = _pin()
    sample = vc_sample.build()
    python_proof = _proof_value(proof.sign(
        sample.unsigned, private_key=sample.private_key,
        verification_method=sample.verification_method, created=vc_sample.ISSUED))
    node, why = ensure_node()
    out: dict = {
        "cpu": cpu, "iterations": iterations, "warmup": warmup, "courses": sample.courses,
        "document_bytes": len(json.dumps(sample.unsigned, ensure_ascii=False).encode()),
        "did": sample.did, "js_error": why or None, "rounds": [], "shipped": None,
        "versions": _versions(node),
    }
    for number in range(rounds):
        order = ("python", "js") if number % 2 == 0 or not node else ("js", "python")
        result: dict = {"order": list(order)}
        for side in order:
            if side == "python":
                result["python"] = python_round(sample, iterations=iterations, warmup=warmup,
                                                round_number=number)
            elif node:
                try:
                    result["js"] = js_round(node, sample, iterations=iterations, warmup=warmup)
                except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
                    out["js_error"] = str(error)[-500:]
                    node = None
        out["rounds"].append(result)
    if node and shipped:
        try:
            out["shipped"] = shipped_issue(node, sample, iterations=iterations)
        except (RuntimeError, subprocess.TimeoutExpired, ValueError) as error:
            out["js_error"] = f"issue.mjs: {str(error)[-500:]}"
    js_proofs = {r["js"]["proof_value"] for r in out["rounds"] if "js" in r}
    if out["shipped"]:
        js_proofs.add(out["shipped"]["proof_value"])
    out["proof_identical"] = (js_proofs == {python_proof}) if js_proofs else None
    ratio = _ratio(out["rounds"])
    if profile == "always" or (profile == "auto" and ratio is not None and ratio < SIGN_RATIO):
        out["profile"] = _profile(sample, PROFILED_SIGNATURES)
    return out


def _ratio(rounds: list[dict]) -> float | None:
    python, js = best(rounds, "python", "sign"), best(rounds, "js", "sign")
    if not python or not js:
        return None
    return (python["count"] / python["seconds"]) / (js["count"] / js["seconds"])


def _profile(sample: vc_sample.Sample, count: int) -> dict:
    """cProfile of ``count`` signatures, each with its own proof configuration (strict)."""
    from openedx_microcred.credentials import proof

    base = vc_sample.ISSUED + timedelta(days=365)

    def run() -> None:
        for index in range(count):
            proof.sign(sample.unsigned, private_key=sample.private_key,
                       verification_method=sample.verification_method,
                       created=base + timedelta(seconds=index))
    profiled = stats.profile(run)
    return {"steps": stats.step_table(profiled, SIGN_STEPS, count),
            "top": stats.top_functions(profiled, 10),
            "packages": stats.own_time_by_package(profiled, 8), "signatures": count}


def best(rounds: list[dict], side: str, metric: str) -> dict | None:
    """The round with the shortest wall time for ``side``'s ``metric`` (None if never run)."""
    runs = [r[side][metric] for r in rounds if r.get(side) and r[side].get(metric)]
    return min(runs, key=lambda run: run["seconds"]) if runs else None


def _proof_value(document: dict) -> str:
    proofs = document["proof"]
    return (proofs[-1] if isinstance(proofs, list) else proofs)["proofValue"]


def _xsd(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _versions(node: str | None) -> dict[str, str]:
    versions = {}
    for name in ("cryptography", "PyLD"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    if node:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30,
                              check=False)
        versions["node"] = done.stdout.strip()
        for package in ("@digitalbazaar/vc", "@digitalbazaar/eddsa-rdfc-2022-cryptosuite",
                        "rdf-canonize", "jsonld"):
            manifest = JS_DIR / "node_modules" / package / "package.json"
            if manifest.exists():
                versions[package] = json.loads(manifest.read_text(encoding="utf-8"))["version"]
    return versions
