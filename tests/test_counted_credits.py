"""Credits counted toward a programme follow its rules everywhere they are shown or signed:
progress, the learner page, the signed credential and its evidence, the CLR, the verify page."""
import re
from html import unescape

import pytest
from django.urls import reverse

from openedx_microcred import api, signing
from openedx_microcred.models import Credential
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

E1 = "course-v1:ExampleX+1+2025"
E2 = "course-v1:ExampleX+2+2025"
CAP = "course-v1:ExampleX+3+2025"


@pytest.fixture
def electives_and_capstone():
    api.import_program(program_xml("capstone", (
        f'<group title="Electives" min-count="1">'
        f'<course key="{E1}" credits="2">Elective one</course>'
        f'<course key="{E2}" credits="2">Elective two</course></group>'
        f'<course key="{CAP}" credits="2">Capstone</course>'), org="ExampleX", credits="4"))


def visible(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_both_electives_without_the_capstone_are_two_of_four(client, learner,
                                                             electives_and_capstone):
    send_passing(learner.pk, E1, time=utc(2025, 3, 1))
    send_passing(learner.pk, E2, time=utc(2025, 3, 2))
    [progress] = api.get_progress(user_id=learner.pk)
    assert (progress.complete, progress.credits_earned, progress.credits_required) == (
        False, 2, 4)
    client.force_login(learner)
    page = visible(client.get("/microcred/").content.decode())
    assert "2 of 4 credits" in page
    assert "4 of 4" not in page


def test_the_credential_says_four_of_four_everywhere(client, learner, electives_and_capstone):
    send_passing(learner.pk, E1, time=utc(2025, 3, 1))
    send_passing(learner.pk, E2, time=utc(2025, 3, 2))
    send_passing(learner.pk, CAP, time=utc(2025, 3, 3))
    credential = Credential.objects.get(user=learner)
    assert credential.credits_earned == 4
    subject = credential.document["credentialSubject"]
    assert subject["creditsEarned"] == 4
    assert subject["achievement"]["creditsAvailable"] == 4
    narratives = [item["narrative"] for item in credential.document["evidence"]]
    assert sum("Credits: 2." in text for text in narratives) == 2  # the surplus elective: none
    assert sum(item["credits"] != "0" for item in credential.evidence) == 2
    # The CLR keeps each course's own credits on its course credential.
    clr = signing.clr_for(credential)
    parts = clr["credentialSubject"]["verifiableCredential"]
    course_credits = sorted(part["credentialSubject"].get("creditsEarned", 0)
                            for part in parts[1:])
    assert course_credits == [2, 2, 2]
    assert parts[0]["credentialSubject"]["creditsEarned"] == 4
    page = visible(client.get(reverse("openedx_microcred:verify",
                                      kwargs={"credential_uuid": credential.uuid}),
                              HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "4 of 4" in page
    assert "6 of 4" not in page
    verification = api.get_verification(credential.uuid)
    assert sum(course.credits for course in verification.courses) == 4
