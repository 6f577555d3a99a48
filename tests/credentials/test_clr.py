"""CLR 2.0 ClrCredential transcripts: structure, and verification of the transcript and of the
signed credentials inside it by the reference JavaScript stack."""
from __future__ import annotations

import copy
import json
from datetime import datetime

import pytest

from openedx_microcred.credentials.achievement import (
    build_achievement_credential,
    build_course_credential,
    completed_courses,
)
from openedx_microcred.credentials.clr import build_clr_credential
from openedx_microcred.credentials.did import key_resolver
from openedx_microcred.credentials.proof import canonize, verify
from openedx_microcred.credentials.statuslist import (
    build_status_list_credential,
    new_bitstring,
    set_bit,
    status_entry,
)

from .builders_support import (
    FAR_FUTURE,
    ISSUED,
    ISSUER_DID,
    LEARNER_EMAIL,
    achievement_url,
    all_evidence,
    course_achievement_url,
    credential_url,
    credits_of,
    demo_definition,
    demo_titles,
    did_documents,
    issuer_for,
    recipient,
    run_status_script,
    signer,
    status_list_url,
)

CLR_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def transcript_parts(key, program_id: str, *, salt_prefix: str = "s"):
    """The signed programme credential and course credentials of a learner who completed
    every leaf of ``program_id``."""
    sign = signer(key)
    definition = demo_definition(program_id)
    evidence = all_evidence(definition, grade=0.875)
    issuer = issuer_for(definition)
    program_credential = sign(build_achievement_credential(
        credential_id=credential_url(program_id), achievement_id=achievement_url(program_id),
        definition=definition, issuer=issuer, recipient=recipient(f"{salt_prefix}0"),
        valid_from=ISSUED, credits_earned=credits_of(evidence), evidence=evidence,
        program_titles=demo_titles()))
    courses = [
        sign(build_course_credential(
            credential_id=credential_url(f"{program_id}-course-{number}"),
            achievement_id=course_achievement_url(course.key), course=course, issuer=issuer,
            recipient=recipient(f"{salt_prefix}{number + 1}"), valid_from=ISSUED,
            lang=definition.lang))
        for number, course in enumerate(completed_courses(definition, evidence))
    ]
    return program_credential, courses


def clr_of(key, program_id: str, **overrides):
    program_credential, courses = transcript_parts(key, program_id)
    options = {
        "credential_id": credential_url(f"{program_id}-clr"),
        "issuer": issuer_for(demo_definition(program_id)),
        "recipient": recipient("clr"),
        "valid_from": ISSUED,
        "program_credential": program_credential,
        "course_credentials": courses,
        **overrides,
    }
    return build_clr_credential(**options), program_credential, courses


def test_clr_structure(issuer_key):
    clr, program_credential, courses = clr_of(issuer_key, "tmu-preventive-medicine")
    assert clr["@context"] == CLR_CONTEXT
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["id"] == credential_url("tmu-preventive-medicine-clr")
    assert clr["name"] == "学习记录：预防医学"
    assert clr["issuer"] == program_credential["issuer"]
    assert clr["validFrom"] == "2025-06-01T08:30:00Z"
    assert clr["partial"] is True
    assert "credentialSchema" not in clr and "proof" not in clr
    subject = clr["credentialSubject"]
    assert subject["type"] == ["ClrSubject"]
    assert subject["identifier"] == [recipient("clr")]
    assert len(courses) == 15
    assert subject["verifiableCredential"] == [program_credential, *courses]
    program_achievement = program_credential["credentialSubject"]["achievement"]
    assert subject["achievement"] == [program_achievement] + [
        course["credentialSubject"]["achievement"] for course in courses]
    assert subject["association"] == [
        {"type": "Association", "associationType": "isPartOf",
         "sourceId": course["credentialSubject"]["achievement"]["id"],
         "targetId": program_achievement["id"]}
        for course in courses]
    assert all(course["proof"] for course in subject["verifiableCredential"])


def test_stacked_programme_credentials_are_parts_too(issuer_key):
    sign = signer(issuer_key)
    part, _ = transcript_parts(issuer_key, "harvard-web-app-dev")
    program_credential, courses = transcript_parts(issuer_key, "harvard-front-end-certificate")
    clr = build_clr_credential(
        credential_id=credential_url("front-end-clr"), issuer=issuer_for(
            demo_definition("harvard-front-end-certificate")),
        recipient=recipient(), valid_from=ISSUED, program_credential=program_credential,
        course_credentials=courses, stacked_credentials=[part], name="Transcript",
        description="Courses and credentials behind the certificate.", partial=False,
        valid_until=FAR_FUTURE)
    assert clr["name"] == "Transcript" and clr["partial"] is False
    assert clr["description"] == "Courses and credentials behind the certificate."
    assert clr["validUntil"] == "2099-01-01T00:00:00Z"
    subject = clr["credentialSubject"]
    assert subject["verifiableCredential"][-1] == part
    assert subject["association"][-1] == {
        "type": "Association", "associationType": "isPartOf",
        "sourceId": achievement_url("harvard-web-app-dev"),
        "targetId": achievement_url("harvard-front-end-certificate")}
    assert len(subject["achievement"]) == 1 + len(courses) + 1
    assert sign(clr)["proof"]


def test_repeated_achievements_are_listed_once(issuer_key):
    program_credential, courses = transcript_parts(issuer_key, "harvard-web-app-dev")
    clr = build_clr_credential(
        credential_id=credential_url("clr"), issuer=issuer_for(
            demo_definition("harvard-web-app-dev")),
        recipient=recipient(), valid_from=ISSUED, program_credential=program_credential,
        course_credentials=[*courses, courses[0]])
    subject = clr["credentialSubject"]
    assert len(subject["verifiableCredential"]) == 1 + len(courses) + 1
    assert len(subject["achievement"]) == 1 + len(courses)
    assert len(subject["association"]) == len(courses)
    assert clr["name"] == "Learner record: Web Application Development"


def test_clr_is_deterministic_and_holds_no_plain_identity(issuer_key):
    first, _, _ = clr_of(issuer_key, "pku-programming-algorithms")
    second, _, _ = clr_of(issuer_key, "pku-programming-algorithms")
    text = json.dumps(first, ensure_ascii=False)
    assert text == json.dumps(second, ensure_ascii=False)
    assert LEARNER_EMAIL.lower() not in text.lower()


def test_clr_inputs_that_cannot_make_a_valid_transcript_raise(issuer_key, other_key):
    clr, program_credential, courses = clr_of(issuer_key, "harvard-web-app-dev")
    unsigned = {k: v for k, v in courses[0].items() if k != "proof"}
    definition = demo_definition("harvard-web-app-dev")
    base = {"credential_id": credential_url("x"), "issuer": issuer_for(definition),
            "recipient": recipient(), "valid_from": ISSUED,
            "program_credential": program_credential}
    with pytest.raises(ValueError, match="not signed"):
        build_clr_credential(**base, course_credentials=[unsigned])
    with pytest.raises(ValueError, match="another issuer"):
        build_clr_credential(**{**base, "issuer": issuer_for(definition, "did:web:other")})
    with pytest.raises(ValueError, match="IdentityObject"):
        build_clr_credential(**{**base, "recipient": {"id": "mailto:x@example.com"}})
    with pytest.raises(ValueError):
        build_clr_credential(**{**base, "credential_id": "relative/clr"})
    with pytest.raises(ValueError):
        build_clr_credential(**{**base, "valid_from": datetime(2025, 1, 1)})
    with pytest.raises(ValueError):
        build_clr_credential(**base, valid_until=ISSUED)
    with pytest.raises(ValueError, match="not an AchievementCredential"):
        build_clr_credential(**base, course_credentials=[{**courses[0], "credentialSubject": {}}])


def test_clr_canonicalizes_in_safe_mode(issuer_key):
    clr, _, _ = clr_of(issuer_key, "google-project-management",
                       status=status_entry(list_credential_url=status_list_url(9), index=1))
    nquads = canonize(clr)
    assert "https://purl.imsglobal.org/spec/vc/clr/vocab.html#AssociationType" in nquads
    assert "https://purl.imsglobal.org/spec/vc/clr/vocab.html#partial" in nquads


@pytest.fixture(scope="module")
def reference(node, issuer_key):
    """One node run: CLRs (Chinese, English, stacked, with status) and their inner credentials,
    plus tampered copies."""
    sign = signer(issuer_key)
    clrs = {}
    inner = {}
    for program_id in ("tmu-preventive-medicine", "pku-programming-algorithms",
                       "harvard-front-end-certificate", "au-microcredential-3"):
        clr, program_credential, courses = clr_of(issuer_key, program_id)
        clrs[program_id] = sign(clr)
        inner[f"{program_id} programme"] = program_credential
        inner.update({f"{program_id} course {n}": course for n, course in enumerate(courses)})
    revoked_bits = new_bitstring()
    set_bit(revoked_bits, 11)
    status_list = sign(build_status_list_credential(
        list_credential_url=status_list_url(5), issuer_id=ISSUER_DID, bits=revoked_bits,
        valid_from=ISSUED))
    clr, _, _ = clr_of(issuer_key, "au-microcredential-1",
                       status=status_entry(list_credential_url=status_list_url(5), index=11))
    clrs["revoked"] = sign(clr)

    def tamper(name, change):
        copied = copy.deepcopy(clrs[name])
        change(copied)
        return copied

    tampered = {
        "tampered inner course": tamper("tmu-preventive-medicine", lambda c: c[
            "credentialSubject"]["verifiableCredential"][3]["credentialSubject"].update(
            creditsEarned=5)),
        "tampered association": tamper("pku-programming-algorithms", lambda c: c[
            "credentialSubject"]["association"][0].update(associationType="isChildOf")),
        "dropped course": tamper("harvard-front-end-certificate", lambda c: c[
            "credentialSubject"]["verifiableCredential"].pop()),
        "tampered partial": tamper("au-microcredential-3", lambda c: c.update(partial=False)),
    }
    everything = {**clrs, **inner, **tampered}
    output = run_status_script(node, credentials=list(everything.values()), documents={
        **did_documents(issuer_key), status_list_url(5): status_list})
    return clrs, dict(zip(everything, output["results"], strict=True))


def test_clrs_verify_in_the_reference_stack(reference):
    clrs, results = reference
    for name in clrs:
        assert results[name]["verified"] is True, (name, results[name])


def test_the_signed_credentials_inside_verify_on_their_own(reference, issuer_key):
    clrs, results = reference
    inner = {name: result for name, result in results.items()
             if " programme" in name or " course " in name}
    assert len(inner) == 4 + 15 + 7 + 3 + 1
    assert all(result["verified"] for result in inner.values()), inner
    resolve = key_resolver(did_documents(issuer_key)[ISSUER_DID])
    for clr in clrs.values():
        assert verify(clr, resolve_key=resolve).verified
        for credential in clr["credentialSubject"]["verifiableCredential"]:
            assert verify(credential, resolve_key=resolve).verified


def test_a_revoked_transcript_verifies_and_shows_revoked(reference):
    _, results = reference
    assert results["revoked"]["status"]["entries"] == [
        {"statusPurpose": "revocation", "statusListIndex": "11", "status": True}]


def test_tampered_transcripts_fail(reference):
    _, results = reference
    for name in ("tampered inner course", "tampered association", "dropped course",
                 "tampered partial"):
        assert results[name]["verified"] is False, name
        assert "Invalid signature" in results[name]["error"]

