"""Rate limits read the client address the way the host configures it, and verifiers' document
fetches have their own, larger bucket than the HTML verification page."""
import pytest
from django.core.cache import cache

from openedx_microcred import api
from openedx_microcred.conf import setting
from openedx_microcred.models import Credential, StatusList
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml

A = "course-v1:DemoX+A101+2026"
PROXY = "10.0.0.2"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def credential(learner):
    api.import_program(program_xml("one", f'<course key="{A}" credits="2">A</course>'))
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    return Credential.objects.get()


def _page(client, credential, **meta):
    return client.get(f"/microcred/verify/{credential.uuid}/", **meta).status_code


def _did(client, **meta):
    return client.get("/microcred/issuers/DemoX/did.json", **meta).status_code


def test_by_default_the_peer_address_counts_and_the_header_is_ignored(client, credential,
                                                                      settings):
    settings.MICROCRED_VERIFY_RATE_LIMIT = "2/m"
    assert [_page(client, credential, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
            for n in range(3)] == [200, 200, 429]  # a forged header buys no new bucket
    assert _page(client, credential, REMOTE_ADDR="192.0.2.9") == 200


def test_behind_one_proxy_the_rightmost_entry_is_the_client(client, credential, settings):
    settings.MICROCRED_CLIENT_ADDRESS = "X-Forwarded-For"
    settings.MICROCRED_TRUSTED_PROXY_COUNT = 1
    settings.MICROCRED_VERIFY_RATE_LIMIT = "2/m"
    # every request comes from the proxy; the client forges what it puts left of its address
    codes = [_page(client, credential, REMOTE_ADDR=PROXY,
                   HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.7") for n in range(3)]
    assert codes == [200, 200, 429]
    assert _page(client, credential, REMOTE_ADDR=PROXY,
                 HTTP_X_FORWARDED_FOR="203.0.113.8") == 200  # another client, own bucket


def test_behind_two_proxies(client, credential, settings):
    settings.MICROCRED_CLIENT_ADDRESS = "X-Forwarded-For"
    settings.MICROCRED_TRUSTED_PROXY_COUNT = 2
    settings.MICROCRED_VERIFY_RATE_LIMIT = "1/m"
    header = "198.51.100.1, 203.0.113.7, 10.0.0.1"  # forged, client, first proxy
    assert _page(client, credential, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header) == 200
    assert _page(client, credential, REMOTE_ADDR=PROXY,
                 HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.7, 10.0.0.1") == 429  # same client
    assert _page(client, credential, REMOTE_ADDR=PROXY,
                 HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1") == 200


def test_a_short_or_malformed_header_falls_back_to_the_peer(client, credential, settings):
    settings.MICROCRED_CLIENT_ADDRESS = "X-Forwarded-For"
    settings.MICROCRED_TRUSTED_PROXY_COUNT = 2
    settings.MICROCRED_VERIFY_RATE_LIMIT = "1/m"
    assert _page(client, credential, REMOTE_ADDR="192.0.2.1",
                 HTTP_X_FORWARDED_FOR="203.0.113.7") == 200  # too short: the peer counts
    assert _page(client, credential, REMOTE_ADDR="192.0.2.1",
                 HTTP_X_FORWARDED_FOR="not-an-ip, 10.0.0.1") == 429


def test_ipv6_clients_count_per_64_network(client, credential, settings):
    settings.MICROCRED_VERIFY_RATE_LIMIT = "1/m"
    assert _page(client, credential, REMOTE_ADDR="2001:db8:1:2::1") == 200
    assert _page(client, credential, REMOTE_ADDR="2001:db8:1:2::ffff") == 429
    assert _page(client, credential, REMOTE_ADDR="2001:db8:1:3::1") == 200


def test_documents_have_their_own_larger_bucket(client, credential, settings):
    assert int(setting("MICROCRED_DOCUMENT_RATE_LIMIT").split("/")[0]) > \
        int(setting("MICROCRED_VERIFY_RATE_LIMIT").split("/")[0])
    settings.MICROCRED_VERIFY_RATE_LIMIT = "1/m"
    settings.MICROCRED_DOCUMENT_RATE_LIMIT = "3/m"
    assert [_page(client, credential) for _ in range(2)] == [200, 429]
    list_url = f"/microcred/status/{StatusList.objects.get().list_id}"
    # the page's limit is spent; a verifier's fetches still go through, up to their own limit
    assert [_did(client), client.get(list_url).status_code,
            client.get(f"/microcred/credentials/{credential.uuid}.jsonld").status_code,
            _did(client)] == [200, 200, 200, 429]
    limited = client.get(list_url)
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 60
