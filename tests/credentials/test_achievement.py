"""OB 3.0 AchievementCredentials of programmes and courses: structure, the EU Annex I mapping,
the OB 3.0 JSON Schema, and verification by the reference JavaScript stack."""
from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from openedx_microcred import rules
from openedx_microcred.credentials.achievement import (
    ANNEX_I_TARGET_TYPE,
    EU_ANNEX_I_FRAMEWORK,
    EU_ANNEX_I_URL,
    CompletedCourse,
    IssuerProfile,
    build_achievement_credential,
    build_course_credential,
    completed_courses,
    json_number,
    language_tag,
    valid_until_for,
)
from openedx_microcred.credentials.did import key_resolver
from openedx_microcred.credentials.documents import OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL
from openedx_microcred.credentials.narrative import criteria_narrative
from openedx_microcred.credentials.proof import verify
from openedx_microcred.credentials.recipient import (
    hashed_email_identity,
    identity_matches,
    new_salt,
)
from openedx_microcred.credentials.statuslist import (
    build_status_list_credential,
    new_bitstring,
    status_entry,
)
from openedx_microcred.definitions import Level

from .builders_support import (
    DEMO_IDS,
    FAR_FUTURE,
    ISSUED,
    ISSUER_DID,
    LEARNER_EMAIL,
    LEARNER_USERNAME,
    SALT,
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
    schema_errors,
    signer,
    status_list_url,
)

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
]
SCHEMA = [{"id": OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}]


def programme_credential(program_id: str, **overrides):
    definition = overrides.pop("definition", None) or demo_definition(program_id)
    evidence = overrides.pop("evidence", None)
    if evidence is None:
        evidence = all_evidence(definition)
    options = {
        "credential_id": credential_url(f"{program_id}-1"),
        "achievement_id": achievement_url(definition.id),
        "definition": definition,
        "issuer": issuer_for(definition),
        "recipient": recipient(),
        "valid_from": ISSUED,
        "credits_earned": credits_of(evidence),
        "activity_end_date": ISSUED - timedelta(days=3),
        "evidence": evidence,
        "program_titles": demo_titles(),
        **overrides,
    }
    return build_achievement_credential(**options)


def course_credential(course: CompletedCourse, lang: str = "en", **overrides):
    options = {
        "credential_id": credential_url(f"course-{course.key}"),
        "achievement_id": course_achievement_url(course.key),
        "course": course,
        "issuer": issuer_for(demo_definition("pku-programming-algorithms")),
        "recipient": recipient(),
        "valid_from": ISSUED,
        "lang": lang,
        **overrides,
    }
    return build_course_credential(**options)


def fifty_outcomes():
    definition = demo_definition("harvard-web-app-dev")
    outcomes = tuple(
        f"Outcome {n}: 能够 *apply* [skill {n}] — «{'数据' * (n % 5)}» 🎓 & <tags> \\ \"q\""
        for n in range(1, 51))
    return dataclasses.replace(definition, outcomes=outcomes, level=Level("EQF", "5"),
                               assessment="Portfolio and proctored exam",
                               quality_assurance="Internal QA, ENQA-registered agency",
                               valid_months=24)


def annex(credential) -> dict[str, str]:
    return {item["targetCode"]: item["targetDescription"]
            for item in credential["credentialSubject"]["achievement"].get("alignment", [])
            if item.get("targetType") == ANNEX_I_TARGET_TYPE}


# --- structure ------------------------------------------------------------------------------

@pytest.mark.parametrize("program_id", DEMO_IDS)
def test_programme_credentials_follow_the_ob3_conventions(program_id):
    definition = demo_definition(program_id)
    credential = programme_credential(program_id)
    assert credential["@context"] == CONTEXT
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == credential_url(f"{program_id}-1")
    assert credential["name"] == definition.title
    assert credential["credentialSchema"] == SCHEMA
    assert credential["validFrom"] == "2025-06-01T08:30:00Z"
    assert "validUntil" not in credential and "credentialStatus" not in credential
    issuer = credential["issuer"]
    assert issuer["id"] == ISSUER_DID and issuer["type"] == ["Profile"]
    assert issuer["name"] == definition.issuer.name and issuer["url"] == definition.issuer.url
    assert issuer["address"] == {"type": ["Address"],
                                 "addressCountryCode": definition.issuer.country}
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"] == [recipient()]
    assert subject["activityEndDate"] == "2025-05-29T08:30:00Z"
    achievement = subject["achievement"]
    assert achievement["id"] == achievement_url(program_id)
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] == definition.achievement_type
    assert achievement["name"] == definition.title
    assert achievement["description"] == definition.description
    assert achievement["humanCode"] == program_id
    assert achievement["inLanguage"] == definition.lang
    assert achievement["criteria"] == {
        "narrative": criteria_narrative(definition, program_titles=demo_titles())}
    if definition.credits:
        assert Decimal(str(achievement["creditsAvailable"])) == definition.credits
        assert Decimal(str(subject["creditsEarned"])) == credits_of(all_evidence(definition))
    else:  # a programme without credits says nothing about credits
        assert "creditsAvailable" not in achievement and "creditsEarned" not in subject
    assert len(credential["evidence"]) == len(all_evidence(definition))


def test_chinese_programme_keeps_its_text_and_language():
    credential = programme_credential("pku-programming-algorithms")
    achievement = credential["credentialSubject"]["achievement"]
    assert credential["issuer"]["name"] == "北京大学"
    assert achievement["inLanguage"] == "zh-Hans"
    assert achievement["fieldOfStudy"] == "计算机科学"
    assert achievement["tag"] == ["计算机科学", "线上"]
    assert achievement["criteria"]["narrative"].startswith(
        "完成以下全部要求：\n\n- 计算导论与C语言基础（43 学时）")
    outcomes = [a for a in achievement["alignment"] if a["targetType"] == "ceasn:Competency"]
    assert [o["targetName"] for o in outcomes] == list(
        demo_definition("pku-programming-algorithms").outcomes)
    assert [o["targetCode"] for o in outcomes] == ["LO1", "LO2", "LO3", "LO4", "LO5"]
    assert outcomes[0]["targetUrl"] == achievement_url("pku-programming-algorithms") + "#outcome-1"
    assert annex(credential) == {
        "workload": "237 学时",
        "participation": "线上",
        "prerequisites": "无需具备相关经验",
        "stackability": demo_definition("pku-programming-algorithms").pathway,
        "duration": "6 个月（10 小时/周）",
    }
    evidence = credential["evidence"][0]
    assert evidence == {"type": ["Evidence"], "name": "计算导论与C语言基础", "genre": "课程",
                        "narrative": "完成课程 `course-v1:PekingX+CS101+2025`（2025-06-01）。"
                                     "成绩：90%。"}


def test_every_eu_annex_i_element_the_definition_has_is_in_the_credential():
    definition = fifty_outcomes()
    credential = programme_credential("harvard-web-app-dev", definition=definition)
    achievement = credential["credentialSubject"]["achievement"]
    level = achievement["alignment"][0]
    assert level == {
        "type": ["Alignment"], "targetType": "ext:QualificationsFrameworkLevel",
        "targetName": "EQF level 5", "targetCode": "5",
        "targetFramework": "European Qualifications Framework",
        "targetUrl": "http://data.europa.eu/snb/eqf/5",
    }
    assert len([a for a in achievement["alignment"]
                if a["targetType"] == "ceasn:Competency"]) == 50
    assert annex(credential) == {
        "workload": "8 credits",
        "assessment": "Portfolio and proctored exam",
        "participation": "Online",
        "quality-assurance": "Internal QA, ENQA-registered agency",
        "prerequisites": "People who want to pursue a career in web development",
        "stackability": definition.pathway,
        "duration": "2-3 semesters",
    }
    element = next(a for a in achievement["alignment"] if a.get("targetCode") == "assessment")
    assert element == {
        "type": ["Alignment"], "targetType": ANNEX_I_TARGET_TYPE,
        "targetName": "Type of assessment: Portfolio and proctored exam",
        "targetDescription": "Portfolio and proctored exam", "targetCode": "assessment",
        "targetFramework": EU_ANNEX_I_FRAMEWORK, "targetUrl": EU_ANNEX_I_URL,
    }
    # identification of the learner, title, issuer country, awarding body, date of issuing
    assert credential["credentialSubject"]["identifier"][0]["identityType"] == "emailAddress"
    assert credential["name"] == achievement["name"] == "Web Application Development"
    assert credential["issuer"]["address"]["addressCountryCode"] == "US"
    assert credential["issuer"]["name"] == "Harvard Extension School"
    assert credential["validFrom"] == "2025-06-01T08:30:00Z"


def test_level_of_another_framework_points_at_the_achievement():
    definition = dataclasses.replace(demo_definition("au-microcredential-1"),
                                     level=Level("AQF", "7"))
    level = programme_credential("au-microcredential-1", definition=definition)[
        "credentialSubject"]["achievement"]["alignment"][0]
    assert level["targetFramework"] == "AQF" and level["targetName"] == "AQF level 7"
    assert level["targetUrl"] == achievement_url("au-microcredential-1") + "#level"


def test_workload_hours_default_to_the_sum_of_course_hours():
    assert annex(programme_credential("google-project-management"))["workload"] == "143 hours"
    assert annex(programme_credential("tmu-preventive-medicine"))["workload"] == (
        "14 学分，224 学时")
    assert annex(programme_credential("au-microcredential-1"))["workload"] == (
        "3.125 credits, 35 hours")


def test_fractional_credits_round_trip_exactly_through_json():
    credential = programme_credential("au-stacked-course-credit", evidence=all_evidence(
        demo_definition("au-stacked-course-credit"))[:1])
    reparsed = json.loads(json.dumps(credential))
    subject = reparsed["credentialSubject"]
    assert subject["creditsEarned"] == 3.125
    assert Decimal(repr(subject["creditsEarned"])) == Decimal("3.125")
    assert subject["achievement"]["creditsAvailable"] == 12.5
    assert isinstance(programme_credential("harvard-web-app-dev")["credentialSubject"][
        "creditsEarned"], int)


@pytest.mark.parametrize(("value", "number"), [
    (Decimal("3.125"), 3.125), (Decimal("0.1"), 0.1), (Decimal("12.000"), 12),
    (Decimal("1E+2"), 100), (Decimal("0"), 0), (Decimal("999999.999"), 999999.999), (7, 7),
])
def test_json_number(value, number):
    assert json_number(value) == number
    assert type(json_number(value)) is type(number)


@pytest.mark.parametrize("value", [Decimal("-1"), Decimal("NaN"), Decimal("Infinity"),
                                   Decimal("0.1000000000000000000001"), Decimal(2**60)])
def test_json_number_refuses_what_javascript_would_read_differently(value):
    with pytest.raises(ValueError):
        json_number(value)


def test_expiry_status_image_and_version():
    status = status_entry(list_credential_url=status_list_url(), index=17)
    credential = programme_credential(
        "harvard-web-app-dev", valid_until=FAR_FUTURE, status=status,
        image="https://lms.example.edu/static/badge.png", version="4")
    assert credential["validUntil"] == "2099-01-01T00:00:00Z"
    assert credential["credentialStatus"] == status
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["image"] == {"id": "https://lms.example.edu/static/badge.png",
                                    "type": "Image", "caption": "Web Application Development"}
    assert achievement["version"] == "4"


def test_valid_until_for_adds_calendar_months():
    definition = dataclasses.replace(demo_definition("au-microcredential-1"), valid_months=36)
    assert valid_until_for(definition, ISSUED) == datetime(2028, 6, 1, 8, 30, tzinfo=UTC)
    one = dataclasses.replace(definition, valid_months=1)
    assert valid_until_for(one, datetime(2027, 1, 31, tzinfo=UTC)) == datetime(
        2027, 2, 28, tzinfo=UTC)
    assert valid_until_for(dataclasses.replace(definition, valid_months=13),
                           datetime(2027, 12, 15, tzinfo=UTC)) == datetime(2029, 1, 15,
                                                                           tzinfo=UTC)
    assert valid_until_for(demo_definition("au-microcredential-1"), ISSUED) is None


def test_dates_are_utc_z_to_the_second():
    beijing = timezone(timedelta(hours=8))
    credential = programme_credential(
        "harvard-web-app-dev", valid_from=datetime(2025, 6, 1, 16, 30, 5, 123456, tzinfo=beijing),
        activity_end_date=datetime(2025, 5, 31, 23, 59, 59, tzinfo=beijing))
    assert credential["validFrom"] == "2025-06-01T08:30:05Z"
    assert credential["credentialSubject"]["activityEndDate"] == "2025-05-31T15:59:59Z"


@pytest.mark.parametrize("overrides", [
    {"valid_from": datetime(2025, 6, 1)},
    {"activity_end_date": datetime(2025, 6, 1)},
    {"valid_until": ISSUED},
    {"credential_id": "credentials/1"},
    {"achievement_id": ""},
    {"image": "badge.png"},
    {"recipient": {"email": LEARNER_EMAIL}},
    {"issuer": IssuerProfile(id="lms.example.edu", name="X")},
    {"issuer": IssuerProfile(id=ISSUER_DID, name="")},
    {"status": {"statusListIndex": "1"}},
    {"credits_earned": Decimal("-1")},
])
def test_inputs_that_cannot_make_a_valid_credential_raise(overrides):
    with pytest.raises(ValueError):
        programme_credential("harvard-web-app-dev", **overrides)


def test_issuer_profile_from_a_definition_without_issuer_uses_the_org():
    definition = dataclasses.replace(demo_definition("harvard-web-app-dev"), issuer=None)
    profile = IssuerProfile.from_definition(definition, ISSUER_DID)
    assert profile == IssuerProfile(id=ISSUER_DID, name="HarvardX")
    assert profile.profile() == {"id": ISSUER_DID, "type": ["Profile"], "name": "HarvardX"}


def test_the_recipient_is_a_salted_hash_and_no_plain_identity_appears():
    identity = hashed_email_identity(LEARNER_EMAIL, SALT)
    assert identity == {
        "type": "IdentityObject",
        "identityHash": "sha256$" + __import__("hashlib").sha256(
            ("li.hua@example.edu" + SALT).encode()).hexdigest(),
        "identityType": "emailAddress",
        "hashed": True,
        "salt": SALT,
    }
    assert hashed_email_identity("  li.hua@example.EDU \n", SALT) == identity
    assert identity_matches(identity, "LI.HUA@example.edu")
    assert not identity_matches(identity, "someone@example.edu")
    assert not identity_matches({**identity, "identityHash": "sha256$zz€"}, LEARNER_EMAIL)
    assert new_salt() != new_salt() and len(new_salt()) == 32
    text = json.dumps([programme_credential(program_id) for program_id in DEMO_IDS],
                      ensure_ascii=False).lower()
    assert LEARNER_EMAIL.lower() not in text and "li.hua" not in text
    assert LEARNER_USERNAME not in text
    with pytest.raises(ValueError):
        hashed_email_identity("not-an-address", SALT)
    with pytest.raises(ValueError):
        hashed_email_identity(LEARNER_EMAIL, "")


def test_evidence_is_in_tree_order_with_leaf_titles():
    definition = demo_definition("harvard-front-end-certificate")
    evidence = tuple(reversed(all_evidence(definition, grade=None)))
    credential = programme_credential("harvard-front-end-certificate", evidence=evidence)
    assert [item["name"] for item in credential["evidence"]] == [
        "Web Application Development", "Fundamentals of Website Development",
        "Modern JavaScript: React", "Web Programming with Python and JavaScript"]
    assert credential["evidence"][0] == {
        "type": ["Evidence"], "name": "Web Application Development", "genre": "Credential",
        "narrative": "Earned the credential `harvard-web-app-dev` on 2025-06-01. Credits: 8."}
    external = rules.Evidence("9", "external", "badge:1234", Decimal(0), None)
    assert programme_credential("harvard-front-end-certificate", evidence=(external,))[
        "evidence"] == [{"type": ["Evidence"], "name": "badge:1234",
                         "genre": "External achievement", "narrative": "Achieved `badge:1234`."}]
    assert "evidence" not in programme_credential("harvard-front-end-certificate", evidence=())


def test_building_is_deterministic():
    first = programme_credential("tmu-preventive-medicine", status=status_entry(
        list_credential_url=status_list_url(), index=3))
    second = programme_credential("tmu-preventive-medicine", status=status_entry(
        list_credential_url=status_list_url(), index=3))
    assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)


@pytest.mark.parametrize(("lang", "tag"), [
    ("en", "en"), ("zh-hans", "zh-Hans"), ("ZH_hans_cn", "zh-Hans-CN"), ("pt-br", "pt-BR"),
    ("es-419", "es-419"), ("de-CH-1996", None), ("x", None), ("", None),
])
def test_language_tags_take_the_case_the_schema_wants(lang, tag):
    assert language_tag(lang) == tag


# --- course credentials ---------------------------------------------------------------------

def pku_courses():
    definition = demo_definition("pku-programming-algorithms")
    return completed_courses(definition, all_evidence(definition, grade=0.856))


def test_completed_courses_come_from_the_evidence_and_the_leaves():
    definition = demo_definition("tmu-preventive-medicine")
    evidence = (rules.Evidence("1.2", "course", "course-v1:TMUx+PM203+2024", Decimal(1), ISSUED,
                               0.7),
                rules.Evidence("0.1", "course", "course-v1:TMUx+PM102+2025", Decimal("0.5"),
                               None),
                rules.Evidence("9", "program", "x", Decimal(1), None))
    assert completed_courses(definition, evidence) == (
        CompletedCourse(key="course-v1:TMUx+PM102+2025", title="社会医学",
                        credits=Decimal("0.5"), counted_credits=Decimal("0.5"), hours=Decimal(8)),
        # The programme keeps grades private (no public-grades): none reaches a document.
        CompletedCourse(key="course-v1:TMUx+PM203+2024", title="自然和生活环境与健康",
                        credits=Decimal(1), counted_credits=Decimal(1), hours=Decimal(16),
                        completed_at=ISSUED, grade=None),
    )
    public = dataclasses.replace(definition, public_grades=True)
    assert completed_courses(public, evidence)[1].grade == 0.7
    assert all(course.completion == "certificate" for course in pku_courses())


def test_course_credential_structure_with_grade():
    course = dataclasses.replace(pku_courses()[0], credits=Decimal("2"), min_grade=0.6)
    credential = course_credential(course, lang="zh-Hans")
    assert credential["@context"] == CONTEXT
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["credentialSchema"] == SCHEMA
    assert credential["name"] == "计算导论与C语言基础"
    subject = credential["credentialSubject"]
    achievement_id = course_achievement_url("course-v1:PekingX+CS101+2025")
    assert subject["achievement"] == {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": "计算导论与C语言基础",
        "description": "课程《计算导论与C语言基础》（2 学分，43 学时）。",
        "criteria": {"narrative": "获得课程证书（成绩不低于 60%）。"},
        "creditsAvailable": 2,
        "humanCode": "CS101",
        "otherIdentifier": [{"type": "IdentifierEntry",
                             "identifier": "course-v1:PekingX+CS101+2025",
                             "identifierType": "systemId"}],
        "inLanguage": "zh-Hans",
        "alignment": [{
            "type": ["Alignment"], "targetType": ANNEX_I_TARGET_TYPE,
            "targetName": "学习量：43 学时", "targetDescription": "43 学时",
            "targetCode": "workload", "targetFramework": EU_ANNEX_I_FRAMEWORK,
            "targetUrl": EU_ANNEX_I_URL}],
        "resultDescription": [{
            "id": achievement_id + "#grade", "type": ["ResultDescription"], "name": "成绩",
            "resultType": "Percent", "valueMin": "0", "valueMax": "100",
            "requiredValue": "60"}],
    }
    assert subject["creditsEarned"] == 2
    assert subject["activityEndDate"] == "2025-06-01T08:30:00Z"
    assert subject["result"] == [{"type": ["Result"],
                                  "resultDescription": achievement_id + "#grade",
                                  "value": "85.6", "status": "Completed"}]


def test_course_credential_without_grade_credits_or_hours_is_minimal():
    credential = course_credential(CompletedCourse(key="course-v1:X+Y+Z", title="Y"),
                                   valid_until=FAR_FUTURE)
    subject = credential["credentialSubject"]
    assert set(subject) == {"type", "identifier", "achievement"}
    assert set(subject["achievement"]) == {"id", "type", "achievementType", "name",
                                           "description", "criteria", "humanCode",
                                           "otherIdentifier", "inLanguage"}
    assert subject["achievement"]["description"] == "The course Y."
    assert credential["validUntil"] == "2099-01-01T00:00:00Z"
    assert course_credential(CompletedCourse(key="ccx-v1:X+Y+Z+ccx@3"))[
        "credentialSubject"]["achievement"]["humanCode"] == "ccx-v1:X+Y+Z+ccx@3"


# --- JSON Schema ----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built():
    """Every document the interop checks use, built once: name -> unsigned credential."""
    documents = {program_id: programme_credential(program_id) for program_id in DEMO_IDS}
    documents["fifty outcomes"] = programme_credential(
        "harvard-web-app-dev", definition=fifty_outcomes(), valid_until=FAR_FUTURE,
        image="https://lms.example.edu/static/badge.png", version="2")
    stacked = demo_definition("au-stacked-course-credit")
    documents["fractional"] = programme_credential(
        "au-stacked-course-credit", evidence=all_evidence(stacked)[:1])
    documents["status"] = programme_credential(
        "tmu-preventive-medicine",
        status=status_entry(list_credential_url=status_list_url(), index=4242))
    documents["expired"] = programme_credential(
        "harvard-web-app-dev", valid_from=datetime(2020, 1, 1, tzinfo=UTC),
        valid_until=datetime(2021, 1, 1, tzinfo=UTC))
    for number, course in enumerate(pku_courses()):
        documents[f"course {number}"] = course_credential(course, lang="zh-Hans")
    documents["course fraction"] = course_credential(CompletedCourse(
        key="course-v1:MelbourneX+DA101+2025", title="Data Analytics Module 1",
        credits=Decimal("3.125"), hours=Decimal(35), completed_at=ISSUED, grade=1.0))
    return documents


@pytest.fixture(scope="module")
def signed(built, issuer_key):
    sign = signer(issuer_key)
    return {name: sign(document) for name, document in built.items()}


def test_built_and_signed_credentials_are_valid_against_the_ob3_json_schema(built, signed):
    for name in built:
        assert schema_errors(built[name]) == [], name
        assert schema_errors(signed[name]) == [], name


@pytest.mark.parametrize(("path", "expected"), [
    (("validFrom",), "'validFrom' is a required property"),
    (("issuer",), "'issuer' is a required property"),
    (("credentialSubject", "achievement", "criteria"), "'criteria' is a required property"),
    (("credentialSubject", "achievement", "description"),
     "'description' is a required property"),
    (("credentialSubject", "identifier", 0, "identityHash"),
     "'identityHash' is a required property"),
])
def test_a_credential_missing_a_required_field_fails_the_schema(signed, path, expected):
    broken = copy.deepcopy(signed["pku-programming-algorithms"])
    parent = broken
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    assert any(expected in error for error in schema_errors(broken))


def test_schema_rejects_wrong_shapes(signed):
    credential = signed["harvard-web-app-dev"]
    assert schema_errors({**credential, "type": "OpenBadgeCredential"})
    assert schema_errors({**credential, "credentialSchema": SCHEMA[0]})
    assert schema_errors({**credential, "proof": credential["proof"][0]})
    assert schema_errors({**credential, "validFrom": "1 June 2025"})
    assert schema_errors({**credential, "@context": CONTEXT[1:]})


# --- the reference verifier -----------------------------------------------------------------

def tampered(credential, change):
    copied = copy.deepcopy(credential)
    change(copied)
    return copied


@pytest.fixture(scope="module")
def reference(node, issuer_key, signed):
    """One node run over every signed document and tampered copies of some."""
    sign = signer(issuer_key)
    status_list = sign(build_status_list_credential(
        list_credential_url=status_list_url(), issuer_id=ISSUER_DID, bits=new_bitstring(),
        valid_from=ISSUED))
    tampers = {
        "tampered credits": tampered(signed["fractional"], lambda c: c["credentialSubject"]
                                     .update(creditsEarned=3.126)),
        "tampered outcome": tampered(signed["fifty outcomes"], lambda c: c["credentialSubject"]
                                     ["achievement"]["alignment"][30].update(targetName="x")),
        "tampered issuer": tampered(signed["tmu-preventive-medicine"],
                                    lambda c: c["issuer"].update(name="天津大学")),
        "tampered grade": tampered(signed["course 0"], lambda c: c["credentialSubject"]
                                   ["result"][0].update(value="95.6")),
        "tampered status": tampered(signed["status"], lambda c: c["credentialStatus"]
                                    .update(statusListIndex="4243")),
    }
    everything = {**signed, **tampers}
    output = run_status_script(node, credentials=list(everything.values()), documents={
        **did_documents(issuer_key), status_list_url(): status_list})
    return dict(zip(everything, output["results"], strict=True))


def test_every_signed_credential_verifies_in_the_reference_stack(reference, signed):
    failures = {name: result for name, result in reference.items()
                if name in signed and name != "expired" and not result["verified"]}
    assert failures == {}


def test_unicode_fractional_long_and_stacked_credentials_verify(reference):
    for name in ("pku-programming-algorithms", "tmu-preventive-medicine", "fractional",
                 "fifty outcomes", "au-stacked-course-credit", "harvard-front-end-certificate",
                 "course 0", "course fraction"):
        assert reference[name] == {"verified": True, "error": None, "status": None}, name


def test_a_credential_with_status_verifies_and_is_not_revoked(reference):
    assert reference["status"]["verified"] is True
    assert reference["status"]["status"]["entries"] == [
        {"statusPurpose": "revocation", "statusListIndex": "4242", "status": False}]


def test_an_expired_credential_fails_on_its_validity_period(reference):
    assert reference["expired"]["verified"] is False
    assert "validUntil" in reference["expired"]["error"]


def test_tampered_copies_fail_in_the_reference_stack(reference):
    for name, result in reference.items():
        if name.startswith("tampered"):
            assert result["verified"] is False, name
            assert "Invalid signature" in result["error"], (name, result)


def test_python_verification_agrees(signed, issuer_key):
    resolve = key_resolver(did_documents(issuer_key)[ISSUER_DID])
    for name, credential in signed.items():
        assert verify(credential, resolve_key=resolve).verified, name
    broken = tampered(signed["fractional"], lambda c: c["credentialSubject"].update(
        creditsEarned=3.126))
    assert not verify(broken, resolve_key=resolve).verified
