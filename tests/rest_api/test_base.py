"""The REST API's shared conventions: schema, authentication, error shape."""
import pytest
import yaml
from django.urls import path
from rest_framework.response import Response

from openedx_microcred import api
from openedx_microcred.rest_api.v1.base import MicrocredAPIView

pytestmark = pytest.mark.django_db


class Whoami(MicrocredAPIView):
    """Echoes the authenticated user; ``?fail=`` raises a domain error."""

    def get(self, request):
        failure = request.query_params.get("fail")
        if failure == "definition":
            error = api.ProgramDefinitionError("2 problems")
            error.errors = [api.ProgramDefinitionError("unknown element <cours>", line=3),
                            api.ProgramDefinitionError("min-count 5 above 4 children", line=9)]
            raise error
        if failure == "one":
            raise api.ProgramDefinitionError("unknown element <cours>", line=3)
        if failure == "missing":
            raise api.ProgramNotFound("nope")  # the id looked for, as domain code raises it
        return Response({"username": request.user.username})


urlpatterns = [path("whoami/", Whoami.as_view())]


@pytest.fixture
def whoami(settings):
    settings.ROOT_URLCONF = __name__
    return "/whoami/"


def test_schema_is_openapi_3_at_the_documented_path(client):
    response = client.get("/api/microcred/v1/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "openedx-microcred API"


def test_anonymous_requests_are_refused(api_client, whoami):
    response = api_client.get(whoami)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"]


def test_session_authentication(api_client, whoami, learner):
    api_client.force_login(learner)
    assert api_client.get(whoami).json() == {"username": "alice"}


def test_jwt_authentication(api_client, whoami, learner, jwt_auth_header):
    response = api_client.get(whoami, **jwt_auth_header(learner))
    assert response.status_code == 200
    assert response.json() == {"username": "alice"}


def test_forged_jwt_is_refused(api_client, whoami, learner, jwt_auth_header):
    header = jwt_auth_header(learner)["HTTP_AUTHORIZATION"]
    forged = header[:-4] + ("AAAA" if not header.endswith("AAAA") else "BBBB")
    assert api_client.get(whoami, HTTP_AUTHORIZATION=forged).status_code == 401


def test_every_definition_error_is_listed_with_its_line(api_client, whoami, learner):
    api_client.force_login(learner)
    response = api_client.get(whoami, {"fail": "definition"})
    assert response.status_code == 400
    body = response.json()
    assert [e["line"] for e in body["errors"]] == [3, 9]
    assert "unknown element" in body["errors"][0]["message"]
    assert body["detail"] == "2 problems found."


def test_one_definition_error(api_client, whoami, learner):
    api_client.force_login(learner)
    response = api_client.get(whoami, {"fail": "one"})
    assert response.status_code == 400
    assert response.json() == {"detail": "unknown element <cours>", "errors": [
        {"line": 3, "path": None, "message": "unknown element <cours>"}]}


def test_not_found_domain_error_is_404(api_client, whoami, learner):
    api_client.force_login(learner)
    response = api_client.get(whoami, {"fail": "missing"})
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"line": None, "path": None,
         "message": "No programme, version or publish job matches 'nope'."}]


def test_jwt_signed_by_another_key_is_refused(api_client, whoami, learner, settings):
    from sandbox.jwt import jwt_keys

    other = jwt_keys(None)["JWT_PRIVATE_SIGNING_JWK"]
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PRIVATE_SIGNING_JWK": other}
    from edx_rest_framework_extensions.auth.jwt.tests.utils import (
        generate_asymmetric_jwt_token,
        generate_latest_version_payload,
    )

    token = generate_asymmetric_jwt_token(generate_latest_version_payload(learner))
    assert api_client.get(whoami, HTTP_AUTHORIZATION=f"JWT {token}").status_code == 401


def test_unknown_paths_and_malformed_ids_answer_in_the_api_shape(api_client):
    for url in ("/api/microcred/v1/credentials/not-a-uuid/revoke",
                "/api/microcred/v1/programmes/x/publish-jobs/abc/", "/api/microcred/v1/nope"):
        response = api_client.post(url)
        assert response.status_code == 404, url
        assert response.json()["errors"][0]["message"].startswith("no such endpoint"), url
