"""The learner's pages through real events: the requirement tree with states, credits or hours,
the next step, credentials with share and downloads, the course tab page and the widget; and who
may see what (login, own data only, framing)."""
import io

import pypdf
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from openedx_microcred import api
from openedx_microcred.artifacts.badge import BAKING_KEYWORD, baked_credential
from openedx_microcred.conf import setting
from openedx_microcred.demo.cohort import sample_program_xmls
from openedx_microcred.models import Credential
from openedx_microcred.testutils import send_certificate, send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

A, B = "course-v1:DemoX+CORE1+2026", "course-v1:DemoX+CORE2+2026"
C, D, E, F = (f"course-v1:DemoX+EL{n}+2026" for n in range(1, 5))
PKU = [f"course-v1:PekingX+CS{n}+2025" for n in (101, 102, 103, 201, 202, 301, 399)]
AU = [f"course-v1:MelbourneX+DA10{n}+2025" for n in range(1, 6)]


def electives_programme() -> None:
    api.import_program(program_xml(
        "data-science",
        f'<group title="Core"><course key="{A}" credits="2">Statistics</course>'
        f'<course key="{B}" credits="2">Python</course></group>'
        f'<group title="Electives" min-count="2">'
        f'<course key="{C}" credits="1">Visualisation</course>'
        f'<course key="{D}" credits="1">Machine Learning</course>'
        f'<course key="{E}" credits="1">Databases</course>'
        f'<course key="{F}" credits="1">Ethics</course></group>',
        window='<completion-window from="2026-01-01" until="2027-06-30"/>'))


def page(client, user, **extra) -> str:
    client.force_login(user)
    response = client.get("/microcred/", **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    for url in ("/microcred/", "/microcred/courses/course-v1:DemoX+CORE1+2026/"):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_empty_states_say_what_to_do(client, learner):
    text = page(client, learner)
    assert "No programme in progress." in text and "Pass a course that belongs" in text
    assert "No credentials yet." in text and "issued to you automatically" in text


def test_a_half_done_programme_names_the_rule_the_remaining_courses_and_the_next_step(
        client, learner):
    electives_programme()
    send_passing(learner.pk, A, time=utc(2026, 2, 3))
    send_passing(learner.pk, C, time=utc(2026, 2, 10))
    send_passing(learner.pk, D, passing=False, time=utc(2026, 2, 11))  # attempted, not passed
    [programme] = api.get_learner_programmes(user_id=learner.pk)
    states = {leaf.key: leaf.state for leaf in programme.tree.leaves}
    assert states == {A: "done", B: "not_started", C: "done", D: "in_progress",
                      E: "not_started", F: "not_started"}
    text = page(client, learner)
    assert "All 2 required — 1 more needed" in text
    assert "2 of 4 — 1 more needed" in text
    assert "3 of 6 credits" in text  # rules count satisfied leaves' credits
    assert "Complete by June 30, 2027" in text
    assert "Next step:" in text and "Continue “Machine Learning”" in text
    assert "Feb. 3, 2026" in text  # the date a done leaf was achieved
    assert ("Still to do:</strong> Python; 1 more of: Machine Learning, Databases, Ethics "
            "(Electives)") in text
    assert "No credentials yet." in text


def test_leaves_of_a_satisfied_group_are_no_longer_needed(client, learner):
    electives_programme()
    for course in (C, D):
        send_passing(learner.pk, course, time=utc(2026, 3, 1))
    [programme] = api.get_learner_programmes(user_id=learner.pk)
    states = {leaf.key: leaf.state for leaf in programme.tree.leaves}
    assert states[E] == states[F] == "not_needed"
    assert "2 of 4 — done" in page(client, learner)


def test_an_hour_based_programme_counts_hours_not_zero_credits(client, learner):
    api.import_programs(list(sample_program_xmls().values()))
    for course in PKU[:6]:
        send_certificate(learner.pk, course, time=utc(2026, 4, 1))
    text = page(client, learner, HTTP_ACCEPT_LANGUAGE="en")
    assert "231 of 237 hours" in text and "0 / 0" not in text
    assert "Complete “程序开发项目实践”." in text
    zh = page(client, learner, HTTP_ACCEPT_LANGUAGE="zh-cn")
    assert '<html lang="zh-Hans"' in zh and "231 / 237 学时" in zh


def test_a_stacked_programme_shows_its_programmes_by_title(client, learner):
    api.import_programs(list(sample_program_xmls().values()))
    for course in AU[:2]:
        send_passing(learner.pk, course, time=utc(2026, 5, 1))
    stacked = api.get_learner_programme(user_id=learner.pk, program_id="au-stacked-course-credit")
    group = stacked.tree.children[0]
    assert [leaf.state for leaf in group.children] == ["done", "done", "not_started",
                                                        "not_started", "not_started"]
    assert group.children[0].title == "Data Analytics Micro-credential 1"
    text = page(client, learner)
    assert "4 of 5 — 2 more needed" in text
    assert "6.25 of 12.5 credits" in text


def test_finished_programmes_are_not_in_progress_and_credentials_offer_share_and_downloads(
        client, learner, settings):
    settings.LMS_ROOT_URL = "https://lms.example.edu"
    electives_programme()
    for course in (A, B, C, D):
        send_passing(learner.pk, course, time=utc(2026, 3, 1))
    [credential] = api.get_learner_credentials(user_id=learner.pk)
    text = page(client, learner)
    progress, rest = text.split('id="credentials-heading"')
    assert "data-science title" not in progress and "No programme in progress." in progress
    assert "Completed programmes" in rest
    verify = f"https://lms.example.edu/microcred/verify/{credential.uuid}/"
    assert f'value="{verify}"' in rest and "linkedin.com/profile/add" in rest
    assert "I earned the “data-science title” micro-credential from Demo University." in rest
    for link in ("credential", "clr", "pdf", "badge"):
        assert f'data-link="{link}"' in rest
    assert 'role="img"' in rest  # the QR code


def test_a_revoked_credential_shows_the_reason_and_offers_no_certificate(client, learner):
    electives_programme()
    for course in (A, B, C, D):
        send_passing(learner.pk, course, time=utc(2026, 3, 1))
    credential = Credential.objects.get(user=learner)
    api.revoke_credential(credential.uuid, reason="Academic integrity review")
    text = page(client, learner)
    assert "Revoked" in text and "Academic integrity review" in text
    assert 'data-link="pdf"' not in text and 'data-link="linkedin"' not in text
    for url in (f"/microcred/credentials/{credential.uuid}/certificate.pdf",
                f"/microcred/credentials/{credential.uuid}/badge.png"):
        assert client.get(url).status_code == 404


def test_an_expired_credential_says_so_and_its_certificate_too(client, learner):
    electives_programme()
    for course in (A, B, C, D):
        send_passing(learner.pk, course, time=utc(2026, 3, 1))
    credential = Credential.objects.get(user=learner)
    Credential.objects.filter(pk=credential.pk).update(expires_at=utc(2026, 4, 1))
    text = page(client, learner)
    assert 'data-status="expired"' in text and "This credential has expired." in text
    assert 'data-link="linkedin"' not in text and 'data-link="pdf"' in text
    pdf = client.get(f"/microcred/credentials/{credential.uuid}/certificate.pdf")
    assert "Expired on April 1, 2026" in pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0] \
        .extract_text()


def test_downloads_are_the_holders_only(client, learner, make_user, settings):
    settings.LMS_ROOT_URL = "https://lms.example.edu"
    electives_programme()
    for course in (A, B, C, D):
        send_passing(learner.pk, course, time=utc(2026, 3, 1))
    credential = Credential.objects.get(user=learner)
    pdf_url = reverse("openedx_microcred:certificate-pdf", args=[credential.uuid])
    png_url = reverse("openedx_microcred:badge-image", args=[credential.uuid])
    assert client.get(pdf_url).status_code == 302  # anonymous: log in first
    client.force_login(make_user("mallory"))
    assert client.get(pdf_url).status_code == 404
    assert client.get(png_url).status_code == 404
    client.force_login(learner)
    pdf = client.get(pdf_url)
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in ("Alice Liddell", "data-science title", "Demo University",
                     f"https://lms.example.edu/microcred/verify/{credential.uuid}/", "Statistics",
                     "6 credits"):
        assert expected in text
    png = client.get(png_url)
    assert png["Content-Type"] == "image/png"
    assert baked_credential(png.content) == credential.document
    assert png.content.count(BAKING_KEYWORD.encode()) == 1


def test_the_pdf_speaks_chinese(client, learner):
    api.import_programs(list(sample_program_xmls().values()))
    for course in PKU:
        send_certificate(learner.pk, course, time=utc(2026, 4, 1))
    credential = Credential.objects.get(user=learner)
    client.force_login(learner)
    pdf = client.get(f"/microcred/credentials/{credential.uuid}/certificate.pdf?lang=zh-hans")
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "程序设计与算法" in text and "北京大学" in text and "237 学时" in text
    assert "计算导论与C语言基础" in text


def test_a_learner_sees_only_their_own(client, learner, make_user):
    electives_programme()
    other = make_user("mallory")
    for course in (A, B, C, D):
        send_passing(learner.pk, course, time=utc(2026, 3, 1))
    send_passing(other.pk, E, time=utc(2026, 3, 1))
    credential = Credential.objects.get(user=learner)
    text = page(client, other)
    assert str(credential.uuid) not in text and "No credentials yet." in text
    assert "Databases" in text  # their own programme in progress


def test_the_course_tab_page_lists_the_programmes_of_the_course(client, learner):
    electives_programme()
    send_passing(learner.pk, A, time=utc(2026, 2, 3))
    client.force_login(learner)
    response = client.get(f"/microcred/courses/{C}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "data-science title" in text and "2 of 4 — 2 more needed" in text
    assert response["Content-Security-Policy"].endswith("frame-ancestors 'none'")
    assert client.get("/microcred/courses/course-v1:Other+X1+2026/").status_code == 404
    assert client.get("/microcred/courses/not-a-key/").status_code == 404


def test_the_widget_may_be_framed_by_the_lms_and_the_configured_mfe_only(client, learner,
                                                                        settings):
    settings.LMS_ROOT_URL = "https://lms.example.edu"
    settings.MICROCRED_FRAME_ANCESTORS = ["https://apps.lms.example.edu"]
    response = client.get("/microcred/widget/")
    assert response.status_code == 200 and "Sign in" in response.content.decode()
    policy = response["Content-Security-Policy"]
    assert ("frame-ancestors 'self' https://lms.example.edu https://apps.lms.example.edu"
            in policy)
    assert "X-Frame-Options" not in response
    electives_programme()
    send_passing(learner.pk, A, time=utc(2026, 2, 3))
    client.force_login(learner)
    text = client.get("/microcred/widget/").content.decode()
    assert "data-science title" in text and "2 of 6 credits" in text
    assert 'data-parent-origins="https://lms.example.edu https://apps.lms.example.edu"' in text
    settings.MICROCRED_FRAME_ANCESTORS = []
    assert client.get("/microcred/widget/")["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/microcred/")["X-Frame-Options"] == "DENY"


def test_pages_allow_only_their_own_inlined_style_and_script(client, learner):
    client.force_login(learner)
    response = client.get("/microcred/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy
    assert "script-src 'sha256-" in policy and "style-src 'sha256-" in policy
    assert "<script src" not in response.content.decode()


@pytest.mark.parametrize("value", [["https://apps.example.com/dashboard"], ["apps.example.com"],
                                   "https://apps.example.com"])
def test_frame_ancestors_must_be_origins(settings, value):
    settings.MICROCRED_FRAME_ANCESTORS = value
    with pytest.raises(ImproperlyConfigured, match="MICROCRED_FRAME_ANCESTORS"):
        setting("MICROCRED_FRAME_ANCESTORS")
