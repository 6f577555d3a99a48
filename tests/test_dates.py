"""Every date the product records, evaluates, shows or signs is when the counted state was
reached, from the events' times, and reads the same in every TIME_ZONE."""
import re
from html import unescape

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from openedx_microcred import api, signing
from openedx_microcred.evaluation import evaluate_learner
from openedx_microcred.models import CourseCompletion, Credential
from openedx_microcred.testutils import send_certificate, send_grade, send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

C1 = "course-v1:ExampleX+1+2025"
C2 = "course-v1:ExampleX+2+2025"
ZONES = ["UTC", "Asia/Shanghai", "America/Los_Angeles"]
# 2025-03-31 20:00 UTC is already 1 April in Shanghai and still 31 March in Los Angeles.
EVENING = utc(2025, 3, 31, 20)


def visible(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.mark.parametrize("zone", ZONES)
def test_window_dates_are_utc_calendar_days_in_every_time_zone(learner, zone):
    with override_settings(TIME_ZONE=zone):
        api.import_program(program_xml("until-march", f'<course key="{C1}">C1</course>',
                                       window='<completion-window until="2025-03-31"/>'))
        api.import_program(program_xml("from-april", f'<course key="{C1}">C1</course>',
                                       window='<completion-window from="2025-04-01"/>'))
        send_passing(learner.pk, C1, time=EVENING)
        assert [c.program.program_id for c in Credential.objects.filter(user=learner)] == [
            "until-march"]


@pytest.mark.parametrize("zone", ZONES)
def test_dates_signed_and_shown_read_the_same_in_every_time_zone(client, learner, zone):
    with override_settings(TIME_ZONE=zone):
        api.import_program(program_xml("p", f'<course key="{C1}" credits="1">C1</course>',
                                       valid_months="12"))
        send_passing(learner.pk, C1, time=EVENING)
        credential = Credential.objects.get(user=learner)
        assert credential.issued_at == EVENING  # when the state was reached, not processing
        document = credential.document
        assert document["validFrom"] == "2025-03-31T20:00:00Z"
        assert document["validUntil"] == "2026-03-31T20:00:00Z"
        assert document["credentialSubject"]["activityEndDate"] == "2025-03-31T20:00:00Z"
        assert "2025-03-31" in document["evidence"][0]["narrative"]
        clr = signing.clr_for(credential)
        course = clr["credentialSubject"]["verifiableCredential"][1]
        assert course["credentialSubject"]["activityEndDate"] == "2025-03-31T20:00:00Z"
        page = visible(client.get(reverse("openedx_microcred:verify",
                                          kwargs={"credential_uuid": credential.uuid}),
                                  HTTP_ACCEPT_LANGUAGE="en"))
        assert "March 31, 2025" in page and "April 1, 2025" not in page
        assert 'datetime="2025-03-31T20:00:00+00:00"' in client.get(reverse(
            "openedx_microcred:verify", kwargs={"credential_uuid": credential.uuid})
        ).content.decode()
        client.force_login(learner)
        learner_page = visible(client.get("/microcred/", HTTP_ACCEPT_LANGUAGE="en"))
        assert "March 31, 2025" in learner_page and "April 1, 2025" not in learner_page
        [email] = mail.outbox
        assert "March 31, 2025" in email.body and "April 1, 2025" not in email.body


def test_a_credential_evaluated_late_is_dated_by_its_events(learner):
    send_passing(learner.pk, C1, time=utc(2025, 3, 1))
    send_passing(learner.pk, C2, time=utc(2025, 3, 5))
    api.import_program(program_xml("later", f'<course key="{C1}">1</course>'
                                            f'<course key="{C2}">2</course>'))
    evaluate_learner(learner.pk)  # a backfill, long after the events
    assert Credential.objects.get(user=learner).issued_at == utc(2025, 3, 5)


def test_a_certificate_mode_upgrade_is_when_a_verified_leaf_is_reached(learner):
    api.import_program(program_xml("verified", f'<course key="{C1}" mode="verified">1</course>',
                                   completion="certificate"))
    api.import_program(program_xml("any-mode", f'<course key="{C1}">1</course>',
                                   completion="certificate"))
    send_certificate(learner.pk, C1, mode="audit", time=utc(2025, 3, 1))
    send_certificate(learner.pk, C1, mode="verified", event="changed", time=utc(2025, 3, 9))
    dates = {c.program.program_id: c.issued_at for c in Credential.objects.filter(user=learner)}
    assert dates == {"any-mode": utc(2025, 3, 1), "verified": utc(2025, 3, 9)}


def test_a_min_grade_is_reached_when_the_grade_reaches_it(learner):
    api.import_program(program_xml("graded", f'<course key="{C1}" min-grade="0.8">1</course>'))
    send_passing(learner.pk, C1, time=utc(2025, 3, 1))
    send_grade(learner.pk, C1, 0.7, time=utc(2025, 3, 1))
    send_grade(learner.pk, C1, 0.9, time=utc(2025, 3, 8))
    send_grade(learner.pk, C1, 0.9, time=utc(2025, 3, 20))  # the same grade again
    credential = Credential.objects.get(user=learner)
    assert credential.issued_at == utc(2025, 3, 8)
    assert credential.evidence[0]["achieved_at"] == "2025-03-08T00:00:00+00:00"
    assert CourseCompletion.objects.get(user=learner).grade_at == utc(2025, 3, 8)


def test_a_stacked_credential_counts_from_when_it_was_earned(learner):
    """P's courses were passed inside S's window; P is evaluated only later (a backfill): S
    still counts P at the time P's state was reached."""
    api.import_program(program_xml("s-base", f'<course key="{C1}">1</course>'))
    api.import_program(program_xml("s-top", f'<program ref="s-base"/><course key="{C2}">2</course>',
                                   window='<completion-window until="2025-06-30"/>'))
    send_passing(learner.pk, C2, time=utc(2025, 3, 2))
    send_passing(learner.pk, C1, time=utc(2025, 3, 1))
    issued = {c.program.program_id: c.issued_at for c in Credential.objects.filter(user=learner)}
    assert issued == {"s-base": utc(2025, 3, 1), "s-top": utc(2025, 3, 2)}
