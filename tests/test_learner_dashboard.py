"""The learner page: login required, the signed-in learner's own programmes and credentials."""
import pytest

from openedx_microcred import api
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/microcred/")
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_learner_sees_only_their_own(client, learner, make_user):
    api.import_program(program_xml("mine", f'<course key="{A}">A</course>'))
    api.import_program(program_xml("two", f'<course key="{A}">A</course>'
                                          f'<course key="{B}">B</course>'))
    other = make_user("mallory")
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    send_passing(other.pk, B, time=utc(2026, 3, 1))
    [credential] = api.get_credentials(user_id=learner.pk)
    client.force_login(learner)
    page = client.get("/microcred/").content.decode()
    assert "mine title" in page and "two title" in page  # a credential and a programme started
    assert f"/microcred/verify/{credential.uuid}/" in page
    assert "Awarded" in page
    client.force_login(other)
    page = client.get("/microcred/").content.decode()
    assert str(credential.uuid) not in page and "No credentials yet." in page


def test_the_learner_page_speaks_chinese(client, learner):
    client.force_login(learner)
    page = client.get("/microcred/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "微证书" in page
