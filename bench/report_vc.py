"""Report rows, method, profiles and suggestions of phases 4 (signing against the JavaScript
reference) and 5 (registry delivery); ``report.py`` prints them with the other phases."""
from __future__ import annotations

from signing_bench import best
from targets import DELIVERY_MAX_CONNECTIONS, DELIVERY_RATE, SIGN_RATIO

Row = tuple[str, str, str, str, str]  # metric, figure, target, verdict, short name
KB = 1024


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def _rate(run: dict) -> float:
    return run["count"] / run["seconds"]


def _cpu_rate(run: dict) -> float:
    return run["count"] / run["cpu_s"] if run["cpu_s"] else float("inf")


# ----------------------------------------------------------------------------------- rows ---

def rows(report: dict) -> list[Row]:
    out: list[Row] = []
    if report.get("signing"):
        out += _signing_rows(report["signing"])
    if report.get("delivery"):
        out += _delivery_rows(report["delivery"])
    return out


def _signing_rows(s: dict) -> list[Row]:
    rounds = s["rounds"]
    python, cached, verify = (best(rounds, "python", metric)
                              for metric in ("sign", "sign_cached", "verify"))
    js, js_verify = best(rounds, "js", "sign"), best(rounds, "js", "verify")
    n = s["iterations"]
    rows: list[Row] = [
        (f"4. Signing, 1 CPU: Python proof.sign, credentials/s ({n})",
         f"{_rate(python):,.0f} /s (CPU time: {_cpu_rate(python):,.0f} /s)", "-", "info", ""),
    ]
    if js is None:
        rows.append(("   reference @digitalbazaar/vc (node): not measured",
                     s.get("js_error") or "no result", f">= {SIGN_RATIO:.1f}x", "n/a", ""))
        return rows
    ratio, cpu_ratio = _rate(python) / _rate(js), _cpu_rate(python) / _cpu_rate(js)
    rows += [
        (f"   reference: @digitalbazaar/vc issue (node), credentials/s ({n})",
         f"{_rate(js):,.0f} /s (CPU time: {_cpu_rate(js):,.0f} /s)", "-", "info", ""),
        ("   ratio Python / reference (wall; CPU time)", f"{ratio:.2f}x; {cpu_ratio:.2f}x",
         f">= {SIGN_RATIO:.1f}x", _verdict(ratio >= SIGN_RATIO),
         "4. signing throughput vs the JavaScript reference"),
        ("     Python, proof configuration hash cached (same second)",
         f"{_rate(cached):,.0f} /s (CPU time: {_cpu_rate(cached):,.0f} /s); "
         f"{_rate(cached) / _rate(js):.2f}x", "-", "info", ""),
    ]
    if verify and js_verify:
        rows.append((f"   verify/s: Python proof.verify / vc.verifyCredential ({n})",
                     f"{_rate(verify):,.0f} / {_rate(js_verify):,.0f} /s "
                     f"({_rate(verify) / _rate(js_verify):.2f}x; CPU time "
                     f"{_cpu_rate(verify) / _cpu_rate(js_verify):.2f}x)", "-", "info", ""))
    failures = sum(run["failures"] for run in (verify, js_verify) if run)
    identical = s.get("proof_identical")
    rows.append(("   same proofValue from both signers; failed verifications",
                 f"{'yes' if identical else 'NO'}; {failures}", "yes; 0",
                 _verdict(bool(identical) and failures == 0),
                 "4. identical proofs, all verified"))
    if s.get("shipped"):
        shipped = s["shipped"]
        rows.append((f"   tests/js/issue.mjs as shipped (no warm-up, {shipped['count']})",
                     f"{shipped['per_second']:,.0f} /s", "-", "info", ""))
    return rows


def _delivery_rows(d: dict) -> list[Row]:
    stored, first = d["stored"], d["first"]

    def per_second(run: dict) -> str:
        return (f"{run['delivered'] / run['wall_s']:,.0f} /s (CPU time: "
                f"{run['delivered'] / run['cpu_s']:,.0f} /s)")

    received = stored["received_expected"] + first["received_expected"]
    expected = stored["rows"] + first["rows"]
    unknown = stored["received_unknown"] + first["received_unknown"]
    delivered = stored["delivered"] + first["delivered"]
    rates = stored.get("rates") or {}
    claim_empty, claim_full = d["claim_select"]
    rows: list[Row] = [
        (f"5. Delivery/s, drain(), 1 worker: CLR stored ({stored['rows']:,})",
         per_second(stored), f">= {DELIVERY_RATE:,.0f} /s",
         _verdict(stored["delivered"] / stored["wall_s"] >= DELIVERY_RATE),
         "5. deliveries/s (CLR stored)"),
        (f"   first delivery, CLR built and signed then ({first['rows']:,})",
         per_second(first), f">= {DELIVERY_RATE:,.0f} /s",
         _verdict(first["delivered"] / first["wall_s"] >= DELIVERY_RATE),
         "5. deliveries/s (first delivery: CLR built on first use)"),
        ("   received by the webhook: timed keys, each once",
         f"{received:,} of {expected:,}; {d['repeated_keys']} repeated, {unknown} unknown",
         "all, once", _verdict(received == expected and not d["repeated_keys"] and not unknown),
         "5. every delivery received exactly once"),
        ("   rows delivered; HMAC signatures refused by the webhook",
         f"{delivered:,} of {expected:,}; {d['bad_signatures']}", "all; 0",
         _verdict(delivered == expected and d["bad_signatures"] == 0
                  and d["key_mismatches"] == 0), "5. all delivered, signatures valid"),
        ("   TCP connections opened (counted by the webhook)",
         f"{d['connections_total']} for {d['server_requests_total']:,} requests",
         f"<= {DELIVERY_MAX_CONNECTIONS} (keep-alive)",
         _verdict(d["connections_total"] <= DELIVERY_MAX_CONNECTIONS),
         "5. keep-alive (connections)"),
        ("   SQL queries per delivery (CLR stored / first delivery)",
         f"{d['warm']['queries_per_delivery']:.1f} / {d['warm_first']['queries_per_delivery']:.1f}",
         "-", "info", ""),
    ]
    if rates:
        rows.append(("   rate over the first / last tenth (webhook clock)",
                     f"{rates['first']:,.0f} / {rates['last']:,.0f} /s", "-", "info", ""))
    rows += [
        ("   claim SELECT alone (SQLite, no ORM) at N due rows",
         f"{claim_empty['us']:,.0f} us at {claim_empty['due']:,}; {claim_full['us']:,.0f} us at "
         f"{claim_full['due']:,}", "-", "info", ""),
        ("   request body: signed credential + signed CLR",
         f"{stored['body_bytes'] / KB:,.0f} KB ({d['document_bytes'] / KB:.1f} + "
         f"{d['clr_bytes'] / KB:.0f} KB, {d['clr_credentials']} credentials in the CLR)",
         "-", "info", ""),
        ("   webhook CPU per request (its own process)",
         f"{stored['server_cpu_s'] / max(stored['requests'], 1) * 1e3:.2f} ms", "-", "info", ""),
    ]
    if d["logs"]["warnings"]:
        rows.append(("   product warnings/errors logged", f"{d['logs']['warnings']:,}",
                     "0", "MISSES", "5. no delivery failures logged"))
    return rows


# ------------------------------------------------------------------------------- method ---

def method(report: dict) -> list[str]:
    texts = []
    s = report.get("signing")
    if s:
        versions = ", ".join(f"{name} {version}" for name, version in s["versions"].items())
        pinned = (f"pinned to CPU {s['cpu']} with os.sched_setaffinity (node inherits it)"
                  if s["cpu"] is not None else "not pinned (no sched_setaffinity)")
        texts.append(
            f"4. One child process {pinned}. The document: the programme AchievementCredential of "
            f"tmu-preventive-medicine ({s['document_bytes'] / KB:.1f} KB of JSON, "
            f"{s['courses']} evidence items, EU Annex I alignments, status entry, did:web "
            f"issuer {s['did']}) from build_achievement_credential, as signing.sign_documents "
            f"builds it. Per round and side: {s['warmup']} warm-up signatures, then "
            f"{s['iterations']} timed, then the same for verification; "
            f"{len(s['rounds'])} round(s), alternating which side goes first, best round per "
            "side. Python: proof.sign with a new `created` second per signature, so the proof "
            "configuration is canonicalised every time as the reference does (the 'cached' row "
            "reuses one `created`, like the node run, and proof's cached configuration hash); "
            "proof.verify over those documents. Node: bench/js/sign_reference.mjs, run from "
            "tests/js with its node_modules, the same construction and loop as tests/js/issue.mjs "
            "(vc.issue on a structuredClone of the credential, DataIntegrityProof + "
            "eddsa-rdfc-2022, offline document loader; vc.issue also checks the credential's "
            "shape, cheap next to canonicalisation) plus vc.verifyCredential (status list "
            "stubbed as not revoked); both sides verify each proof from scratch (Python's "
            "cached configuration hashes are cleared first). Wall time of the timed loops "
            "(perf_counter / hrtime) and CPU time of the whole process (process_time / "
            "process.cpuUsage, so node's GC and JIT threads count). Versions: "
            f"{versions}.")
    d = report.get("delivery")
    if d:
        pinned = (f"pinned to CPU {d['worker_cpu']}, the webhook to CPU {d['server_cpu']}"
                  if d["worker_cpu"] is not None else "not pinned")
        settings = ", ".join(f"{name.removeprefix('MICROCRED_DELIVERY_')}={value}"
                             for name, value in d["settings"].items())
        texts.append(
            f"5. A fresh SQLite database; the worker {pinned}. The webhook is "
            "bench/webhook_server.py in its own process (ThreadingHTTPServer, HTTP/1.1 "
            "keep-alive, Content-Length, TCP_NODELAY): it checks each HMAC signature and that the "
            "Idempotency-Key is the body's id, counts keys and connections, answers 200 {}. "
            "The connection comes from api.configure_registry(kind='webhook'), with rate_limit "
            f"{d['rate_limit']:,}/s; {settings} (a failed attempt is retried after the drain, "
            f"so it shows as a failure, not as time); cache: {d['cache']}. Credentials are "
            "bulk-inserted rows holding a document signed with the org's real issuer key and "
            "the real evidence, then outbox.write(credential, 'issue') for each. 'CLR stored': "
            "the signed CLR (built once by signing.clr_for) is stored on every row; 'first "
            "delivery': rows as issuance leaves them, so delivery._payload builds and signs the "
            f"CLR. Each timed drain() follows a warm-up drain ({d['warmup']} rows, queries "
            "counted there); wall and CPU time of the worker process only.")
    return texts


# ------------------------------------------------------------------------------ profiles ---

def print_profiles(report: dict) -> None:
    import report as printer

    sections = []
    s = report.get("signing") or {}
    if s.get("profile"):
        profile = s["profile"]
        sections.append((f"proof.sign: cProfile of {profile['signatures']} signatures",
                         profile, profile["signatures"], "signature"))
    d = report.get("delivery") or {}
    for key, label in (("profile_stored", "CLR stored"), ("profile_first", "first delivery")):
        if d.get(key):
            profile = d[key]
            sections.append((f"delivery.drain(), {label}: cProfile of {profile['deliveries']} "
                             "deliveries", profile, profile["deliveries"], "delivery"))
    for title, profile, count, unit in sections:
        print()
        print(f"Profile: {title} (cProfile inflates Python-heavy code; read shares, not µs)")
        print("-" * 100)
        printer._table(["step", f"us/{unit}", "share"],
                       [(label, f"{us:,.0f}", f"{share:.0%}")
                        for label, us, share in profile["steps"] if us > 0])
        print("  own time by package / module:")
        for name, seconds in profile["packages"][:8]:
            print(f"    {seconds / count * 1e6:8.0f} us/{unit}  {name}")
        print("  functions with the most own time:")
        for name, seconds, calls in profile["top"][:8]:
            print(f"    {seconds / count * 1e6:8.0f} us/{unit}  {calls:>9,} calls  {name}")


def _step(profile: dict | None, prefix: str) -> tuple[float, float]:
    for label, us, share in (profile or {}).get("steps", []):
        if label.strip().startswith(prefix):
            return us, share
    return 0.0, 0.0


# --------------------------------------------------------------------------- suggestions ---

def suggestions(report: dict) -> list[str]:
    notes: list[str] = []
    s = report.get("signing")
    if s:
        notes += _signing_notes(s)
    d = report.get("delivery")
    if d:
        notes += _delivery_notes(d)
    return notes


def _signing_notes(s: dict) -> list[str]:
    python, js = best(s["rounds"], "python", "sign"), best(s["rounds"], "js", "sign")
    if js is None:
        return [f"Signing: the JavaScript reference could not be run ({s.get('js_error')}); "
                "install node >= 20 and run `npm ci` in tests/js."]
    ratio = _rate(python) / _rate(js)
    notes = []
    if ratio < SIGN_RATIO and s.get("profile"):
        profile = s["profile"]
        to_rdf_us, to_rdf = _step(profile, "pyld JsonLdProcessor.to_rdf")
        expand_us, expand = _step(profile, "pyld JsonLdProcessor.expand")
        urdna_us, urdna = _step(profile, "pyld URDNA2015.main")
        notes.append(
            f"Signing: Python is {ratio:.2f}x the reference. Under cProfile, pyld's to_rdf is "
            f"{to_rdf:.0%} of a signature (expansion alone {expand:.0%}) and URDNA2015 "
            f"{urdna:.0%}. Processed contexts are already memoized (canonical."
            "_PROCESSED_CONTEXTS): what remains is pyld expanding and flattening each document "
            "term by term in pure Python. Precomputing the term-to-IRI expansion of the fixed "
            "document shapes (credential, course credential, CLR) per context, or a native "
            "canonicaliser, is the next step.")
    elif ratio >= SIGN_RATIO:
        notes.append(
            f"Signing: Python signs {ratio:.2f}x as many credentials per second as "
            "@digitalbazaar/vc on the same CPU (same document, same proofValue). The "
            "first-delivery CLR below costs 16 such signatures per credential.")
    return notes


def _delivery_notes(d: dict) -> list[str]:
    stored, first = d["stored"], d["first"]
    notes = []
    rate = stored["delivered"] / stored["wall_s"]
    first_rate = first["delivered"] / first["wall_s"]
    cpu_ms = stored["cpu_s"] / max(stored["delivered"], 1) * 1e3
    wall_ms = stored["wall_s"] / max(stored["delivered"], 1) * 1e3
    if rate < DELIVERY_RATE:
        est = d["estimates"]
        queries = d["warm"]["queries_per_delivery"]
        profile = d.get("profile_stored")
        orm_us, orm_share = _step(profile, "Django ORM Python")
        claim_us, claim_share = _step(profile, "claim (")
        payload_us, payload_share = _step(profile, "_payload")
        send_us, send_share = _step(profile, "WebhookClient.deliver")
        json_us = est["decode_us"] + est["encode_us"]
        empty, full = d["claim_select"]
        notes.append(
            f"Delivery (CLR stored): {rate:,.0f}/s against {DELIVERY_RATE:,.0f}/s, i.e. "
            f"{wall_ms:.1f} ms per delivery, {cpu_ms:.1f} ms of it CPU time in the worker (the "
            f"rest, {wall_ms - cpu_ms:.1f} ms, is waiting for the webhook's answer). Under "
            f"cProfile: claim {claim_share:.0%}, _payload {payload_share:.0%}, the HTTP send "
            f"{send_share:.0%}; Django ORM Python is {orm_share:.0%} for {queries:.1f} SQL "
            "queries per delivery.")
        notes.append(
            f"No JSON round trip: every delivery decodes the stored signed credential and CLR "
            f"({(d['document_bytes'] + d['clr_bytes']) / KB:,.0f} KB) from the database "
            f"({est['decode_us']:,.0f} us) and re-encodes them into the body "
            f"({est['encode_us']:,.0f} us): {json_us / 1e3:.1f} ms of the {cpu_ms:.1f} ms. "
            f"Reading the credential row costs {est['row_us']:,.0f} us with its JSON columns, "
            f"{est['row_deferred_us']:,.0f} us without. Storing the documents as compact "
            "sorted JSON text at issuance and splicing that text into the webhook body (it is "
            "already what registries.http.dumps would produce) would skip both (only webhook "
            "rows load the CLR already).")
        notes.append(
            f"Claim: rows are claimed 50 at a time (pending rows in index order, then expired "
            f"leases; {d['claim_plan']}): the SELECT takes {empty['us']:,.0f} us with "
            f"{empty['due']:,} due rows and {full['us']:,.0f} us with {full['due']:,}. "
            f"The connection is reused: {d['connections_total']} TCP connection for "
            f"{d['server_requests_total']:,} requests. Beyond one process: the claim is "
            "exclusive, so several delivery workers scale until the database's write rate.")
    if first_rate < DELIVERY_RATE:
        profile = d.get("profile_first")
        clr_us, clr_share = _step(profile, "signing.clr_for")
        sign_us, sign_share = _step(profile, "proof.sign")
        first_ms = first["wall_s"] / max(first["delivered"], 1) * 1e3
        text = (
            f"Delivery (first delivery): {first_rate:,.1f}/s, {first_ms:,.0f} ms per delivery: "
            "delivery._payload calls signing.clr_for, which builds the CLR and signs "
            f"{d['clr_credentials'] - 1} course credentials and the CLR itself "
            f"({d['clr_credentials']} signatures) during the delivery")
        if profile:
            text += (f"; under cProfile clr_for is {clr_share:.0%} of the drain and proof.sign "
                     f"{sign_share:.0%}")
        text += (
            ". Every registry pays it on a credential's first delivery, although only the "
            "webhook sends the CLR. Building the CLR in its own task right after the issuing "
            "transaction commits (before the deliveries are dispatched), or only for clients "
            "that send it, would keep deliveries at the 'CLR stored' rate; making signing "
            "itself cheaper (see signing) divides this cost.")
        notes.append(text)
    if d["logs"]["warnings"]:
        notes.append(f"Delivery: the product logged {d['logs']['warnings']} warnings/errors, "
                     f"first: {' | '.join(d['logs']['first'])}")
    return notes
