"""REST API fixtures: a DRF client, and real signed JWTs the way the LMS issues them."""
import pytest
from edx_rest_framework_extensions.auth.jwt.tests.utils import (
    generate_asymmetric_jwt_token,
    generate_latest_version_payload,
)
from rest_framework.test import APIClient


@pytest.fixture
def api_client():
    """A DRF test client (anonymous until ``force_login``, ``credentials`` or a header)."""
    return APIClient()


@pytest.fixture
def jwt_auth_header():
    """``jwt_auth_header(user)`` → ``{"HTTP_AUTHORIZATION": "JWT <token>"}`` for ``client.get``:
    a token signed with the sandbox LMS's private key, as edx-drf-extensions decodes it."""
    def header(user, **claims) -> dict[str, str]:
        token = generate_asymmetric_jwt_token(generate_latest_version_payload(user, **claims))
        return {"HTTP_AUTHORIZATION": f"JWT {token}"}
    return header
