"""``manage.py microcred_bootstrap``: issuer keys for every org with programmes, idempotent
(Tutor runs it at every ``tutor local do init``)."""
import io

import pytest
from django.core.management import call_command

from openedx_microcred import api
from openedx_microcred.models import IssuerKey

from .conftest import program_xml

pytestmark = pytest.mark.django_db


def _bootstrap() -> str:
    out = io.StringIO()
    call_command("microcred_bootstrap", stdout=out)
    return out.getvalue()


def test_nothing_to_do_without_programmes():
    assert "No programmes yet" in _bootstrap()
    assert not IssuerKey.objects.exists()


def test_creates_one_key_per_org_once(settings):
    settings.MICROCRED_ISSUER_HOST = "lms.example.org"
    api.import_program(program_xml("one", '<course key="course-v1:DemoX+A+1">A</course>'))
    api.import_program(program_xml("two", '<course key="course-v1:DemoX+B+1">B</course>'))
    api.import_program(program_xml("three", '<course key="course-v1:Other+C+1">C</course>',
                                   org="Other~X"))

    first = _bootstrap()

    assert "created DemoX: did:web:lms.example.org:microcred:issuers:DemoX " \
           "https://lms.example.org/microcred/issuers/DemoX/did.json" in first
    # "~" is not a DID idchar: percent-encoded in the DID, where the URL path may keep it.
    assert "created Other~X: did:web:lms.example.org:microcred:issuers:Other%7EX " \
           "https://lms.example.org/microcred/issuers/Other~X/did.json" in first
    assert "2 issuer key(s) created, 0 already present." in first
    keys = dict(IssuerKey.objects.values_list("org", "public_key"))
    assert set(keys) == {"DemoX", "Other~X"}
    # the DID document is served from the key just created
    document = api.get_did_document("DemoX")
    assert document["id"] == "did:web:lms.example.org:microcred:issuers:DemoX"
    assert keys["DemoX"] in str(document["verificationMethod"])

    second = _bootstrap()

    assert "exists  DemoX:" in second
    assert "0 issuer key(s) created, 2 already present." in second
    assert dict(IssuerKey.objects.values_list("org", "public_key")) == keys


def test_keeps_a_rotated_key_and_uses_did_key_without_a_host(settings):
    settings.MICROCRED_ISSUER_HOST = ""
    settings.LMS_ROOT_URL = ""
    api.import_program(program_xml("one", '<course key="course-v1:DemoX+A+1">A</course>'))
    api.rotate_issuer_key("DemoX")
    active = IssuerKey.objects.get(org="DemoX", active=True).public_key

    output = _bootstrap()

    assert f"exists  DemoX: did:key:{active} (did:key: no DID document to serve)" in output
    assert IssuerKey.objects.filter(org="DemoX").count() == 1
    [identity] = api.bootstrap_issuers()
    assert identity.public_key == active and not identity.created
