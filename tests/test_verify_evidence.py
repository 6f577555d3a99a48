"""The verification page shows every piece of evidence: stacked programmes with their courses,
external achievements, hours for programmes without credits, outcomes and signed criteria."""
import re
from html import unescape

import pytest
from django.core.cache import cache

from openedx_microcred import api
from openedx_microcred.models import Credential
from openedx_microcred.testutils import send_passing, utc
from openedx_microcred.views import criteria_html

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"
C = "course-v1:DemoX+C103+2026"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def text(response) -> str:
    body = re.sub(r"<(style|svg)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def rows(response) -> list[str]:
    html = response.content.decode()
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
            for row in re.findall(r'<tr class="evidence-row.*?</tr>', html, flags=re.S)]


@pytest.fixture
def stacked(learner):
    """A stacked programme: a child programme (two courses) + an external certification + a
    course of its own; outcomes and a level."""
    api.import_programs([
        program_xml("child", f'<course key="{A}" credits="2" hours="30">Algebra</course>'
                             f'<course key="{B}" credits="1" hours="20">Biology</course>'),
        program_xml(
            "parent",
            '<program ref="child" credits="3"/>'
            '<external id="hcia-ai" credits="2">HCIA-AI certification</external>'
            f'<course key="{C}" credits="1" hours="10">Capstone</course>').replace(
            "<requirements>", "<outcome>Build models</outcome><outcome>Explain results</outcome>"
            '<level framework="EQF">5</level><requirements>'),
    ])
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 2))
    api.record_external_achievement(user_id=learner.pk, external_id="hcia-ai",
                                    achieved_at=utc(2026, 3, 3))
    send_passing(learner.pk, C, time=utc(2026, 3, 4))
    return Credential.objects.get(user=learner, program__program_id="parent")


def test_stacked_programme_lists_the_courses_behind_it(client, stacked):
    response = client.get(f"/microcred/verify/{stacked.uuid}/")
    assert response.status_code == 200
    found = rows(response)
    assert len(found) == 5
    assert found[0].startswith("Programme credential child title Identifier: child")
    # its credits, the hours of its courses, when the child credential was issued
    assert "Verify the credential “child title” 3 50 " in found[0]
    assert found[1].startswith("Course of the programme above: Algebra Course ID:")
    assert A in found[1] and "2 30 March 1, 2026" in found[1]
    assert found[2].startswith("Course of the programme above: Biology") and B in found[2]
    assert found[3].startswith("External achievement HCIA-AI certification Identifier: hcia-ai")
    assert "2 — March 3, 2026" in found[3]
    assert found[4].startswith("Capstone") and C in found[4]
    child = Credential.objects.get(program__program_id="child")
    html = response.content.decode()
    assert f'href="http://127.0.0.1:8000/microcred/verify/{child.uuid}/?lang=en"' in html
    assert 'class="evidence-row evidence-row--course depth-1 course-row"' in html
    assert "does not list individual courses" not in html


def test_outcomes_level_and_criteria_from_the_signed_document(client, stacked):
    page = text(client.get(f"/microcred/verify/{stacked.uuid}/"))
    assert "Learning outcomes Build models Explain results" in page
    assert "Level EQF level 5" in page
    narrative = stacked.document["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert "HCIA-AI certification" in narrative
    assert "Criteria As stated in the signed credential: Complete all of the following:" in page
    html = client.get(f"/microcred/verify/{stacked.uuid}/").content.decode()
    assert "<li>" in html.split('class="criteria__text"')[1]
    assert 'href="/microcred/programmes/parent/?lang=en"' in html


def test_hours_instead_of_credits(client, learner):
    api.import_program(program_xml(
        "hours-only", f'<course key="{A}" hours="43">Intro</course>'
                      f'<course key="{B}" hours="25">Advanced</course>'))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(learner.pk, B, time=utc(2026, 3, 2))
    credential = Credential.objects.get(user=learner)
    response = client.get(f"/microcred/verify/{credential.uuid}/")
    page = text(response)
    assert "Hours completed 68 of 68" in page
    assert "Credits earned" not in page and "0 of 0" not in page
    html = response.content.decode()
    assert '<th scope="col" class="num">Hours</th>' in html
    assert '<th scope="col" class="num">Credits</th>' not in html
    assert [row.split(" Course ID")[0] for row in rows(response)] == ["Intro", "Advanced"]
    assert "43 March 1, 2026" in rows(response)[0]


def test_chinese_labels(client, stacked):
    page = text(client.get(f"/microcred/verify/{stacked.uuid}/?lang=zh-hans"))
    for expected in ("获得此证书所依据的内容", "项目证书", "外部成就", "学习成果", "评定标准"):
        assert expected in page, expected


def test_criteria_html_escapes_everything():
    html = criteria_html("Intro <b>\n\n- **A \\*x\\*** <script>alert(1)</script>\n"
                         "  - nested & \\<i\\> *id*\n- C\n")
    assert html == ("<p>Intro &lt;b&gt;</p><ul><li><strong>A *x*</strong> "
                    "&lt;script&gt;alert(1)&lt;/script&gt;<ul><li>nested &amp; &lt;i&gt; "
                    "<em>id</em></li></ul></li><li>C</li></ul>")
    assert criteria_html("") == ""
