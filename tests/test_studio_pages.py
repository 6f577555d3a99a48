"""The Studio authoring pages (server side): who gets which page, and what each page is given.

The pages are served under Studio only (``cms.djangoapp`` URLs); every page needs a login; a
programme page needs a role in the programme's org; creating needs the author role somewhere.
"""
import json
from urllib.parse import unquote

import pytest
from django.urls import reverse

from openedx_microcred import api
from openedx_microcred.models import OrgRole

from .conftest import program_xml

pytestmark = pytest.mark.django_db

STUDIO = "/microcred/studio/"
DEMO_COURSE = "course-v1:DemoX+DS101+2026"
OTHER_COURSE = "course-v1:OtherX+OT101+2026"


@pytest.fixture(autouse=True)
def studio_urls(settings):
    settings.ROOT_URLCONF = "sandbox.studio_urls"


@pytest.fixture
def programmes(db):
    """A DemoX programme and an OtherX one, both published."""
    api.import_program(program_xml("demo-prog", f'<course key="{DEMO_COURSE}" credits="2">'
                                   "Data</course>"))
    api.import_program(program_xml("other-prog", f'<course key="{OTHER_COURSE}" credits="2">'
                                   "Other</course>", org="OtherX"))


@pytest.fixture
def user_with(make_user):
    """``user_with(role, org)`` creates a user holding that org role (``None``: no role)."""
    def make(role: str | None, org: str = "DemoX", **extra):
        user = make_user(f"{role or 'norole'}-{org}", **extra)
        if role:
            OrgRole.objects.create(user=user, org=org, role=role)
        return user
    return make


def page_config(response) -> dict:
    html = response.content.decode()
    marker = '<script id="studio-config" type="application/json">'
    start = html.index(marker) + len(marker)
    return json.loads(html[start:html.index("</script>", start)])


@pytest.mark.parametrize("path", ["", "programmes/new/", "programmes/demo-prog/",
                                  f"courses/{DEMO_COURSE}/"])
def test_anonymous_users_are_sent_to_sign_in(client, programmes, path):
    response = client.get(STUDIO + path)
    assert response.status_code == 302
    assert unquote(response["Location"]) == f"/accounts/login/?next={STUDIO}{path}"


def test_the_pages_exist_only_under_studio(client, settings, user_with):
    settings.ROOT_URLCONF = "sandbox.urls"  # the LMS
    client.force_login(user_with("author"))
    assert client.get(STUDIO).status_code == 404


def test_an_author_gets_the_list_the_editor_and_the_course_page(client, programmes, user_with):
    client.force_login(user_with("author"))
    home = client.get(STUDIO)
    assert home.status_code == 200
    config = page_config(home)
    assert config["orgs"] == ["DemoX"]
    assert config["api"] == "/api/microcred/v1/"
    assert b"js/home.js" in home.content
    editor = client.get(f"{STUDIO}programmes/demo-prog/")
    assert editor.status_code == 200
    assert page_config(editor) | {"orgs": []} == {
        "page": "editor", "api": "/api/microcred/v1/", "studio": STUDIO, "orgs": [],
        "language": "en", "programme": "demo-prog", "role": "author"}
    assert client.get(f"{STUDIO}programmes/new/").status_code == 200
    course = client.get(f"{STUDIO}courses/{DEMO_COURSE}/")
    assert course.status_code == 200
    assert page_config(course)["course"] == DEMO_COURSE


def test_a_viewer_reads_but_may_not_create(client, programmes, user_with):
    client.force_login(user_with("viewer"))
    editor = client.get(f"{STUDIO}programmes/demo-prog/")
    assert editor.status_code == 200
    assert page_config(editor)["role"] == "viewer"
    assert page_config(editor)["orgs"] == []  # may author nowhere
    assert client.get(f"{STUDIO}programmes/new/").status_code == 403


def test_another_orgs_programmes_and_courses_are_refused(client, programmes, user_with):
    client.force_login(user_with("author"))
    refused = client.get(f"{STUDIO}programmes/other-prog/")
    assert refused.status_code == 403
    assert b"You do not have access to this page" in refused.content
    assert client.get(f"{STUDIO}courses/{OTHER_COURSE}/").status_code == 403
    # an unknown programme is refused the same way: nobody learns which ids exist
    assert client.get(f"{STUDIO}programmes/no-such-prog/").status_code == 403


def test_a_user_without_a_role_sees_no_programme(client, programmes, user_with):
    client.force_login(user_with(None))
    home = client.get(STUDIO)
    assert home.status_code == 200
    assert page_config(home)["orgs"] == []
    for path in ("programmes/new/", "programmes/demo-prog/", f"courses/{DEMO_COURSE}/"):
        assert client.get(STUDIO + path).status_code == 403, path


def test_global_staff_author_every_org(client, programmes, user_with):
    client.force_login(user_with(None, is_staff=True))
    assert page_config(client.get(STUDIO))["orgs"] == ["DemoX", "OtherX"]
    assert client.get(f"{STUDIO}programmes/other-prog/").status_code == 200


def test_a_malformed_course_key_is_not_found(client, user_with):
    client.force_login(user_with("author"))
    assert client.get(f"{STUDIO}courses/not-a-course/").status_code == 404


def test_pages_are_translated(client, programmes, user_with):
    client.force_login(user_with("author"))
    response = client.get(STUDIO, HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert '<html lang="zh-Hans">' in response.content.decode()
    assert "微证书" in response.content.decode()
    catalog = client.get(reverse("openedx_microcred:studio-jsi18n"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert catalog.status_code == 200
    assert json.dumps("新建项目") in catalog.content.decode()  # the JSON-escaped translation


def test_an_author_of_an_org_without_courses_yet_may_start_a_programme(client, user_with):
    client.force_login(user_with("author", org="NewX"))
    response = client.get(f"{STUDIO}programmes/new/")
    assert response.status_code == 200
    assert page_config(response)["orgs"] == ["NewX"]


def test_module_imports_reach_the_hashed_files_of_a_manifest_storage(client, settings, tmp_path,
                                                                     user_with):
    """Under Studio's hashing static storage, the import map sends ``./dom.js`` to dom.<hash>.js."""
    from django.core.management import call_command

    from openedx_microcred.studio import views

    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    views._import_map.cache_clear()
    try:
        client.force_login(user_with("author"))
        html = client.get(STUDIO).content.decode()
    finally:
        views._import_map.cache_clear()
    marker = '<script type="importmap">'
    start = html.index(marker) + len(marker)
    imports = json.loads(html[start:html.index("</script>", start)])["imports"]
    plain = "/static/openedx_microcred/studio/js/dom.js"
    assert imports[plain] != plain and imports[plain].startswith(plain[:-3] + ".")
    assert (tmp_path / imports[plain].removeprefix("/static/")).is_file()
    assert f'src="{imports["/static/openedx_microcred/studio/js/home.js"]}"' in html
