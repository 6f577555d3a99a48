"""Settings are validated once at start-up by Django system checks, and no message — check
output, exceptions, logs, delivery rows, admin pages — ever contains a secret's value."""
import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from openedx_microcred import api, checks, delivery
from openedx_microcred.conf import names, setting
from openedx_microcred.models import Delivery
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml
from .registries.fakes import WEBHOOK_SECRET, FakeWebhookReceiver, server_error

KEY = Fernet.generate_key().decode()
SENTINEL = "S3NT1NEL-value"

# An invalid value for every MICROCRED_* setting, each carrying SENTINEL where it can.
INVALID = {
    "MICROCRED_REVOKE_ON_REGRESSION": SENTINEL,
    "MICROCRED_PLATFORM_BACKEND": SENTINEL,  # no dot
    "MICROCRED_MAX_DEFINITION_BYTES": SENTINEL,
    "MICROCRED_BACKFILL_BATCH_SIZE": SENTINEL,
    "MICROCRED_TASK_MAX_RETRIES": SENTINEL,
    "MICROCRED_ISSUER_HOST": f"https://{SENTINEL}/",
    "MICROCRED_KEY_ENCRYPTION_KEYS": [SENTINEL],
    "MICROCRED_STATUS_LIST_SIZE": SENTINEL,
    "MICROCRED_VERIFY_RATE_LIMIT": SENTINEL,
    "MICROCRED_DOCUMENT_RATE_LIMIT": SENTINEL,
    "MICROCRED_CLIENT_ADDRESS": SENTINEL,
    "MICROCRED_TRUSTED_PROXY_COUNT": SENTINEL,
    "MICROCRED_DELIVERY_MAX_ATTEMPTS": SENTINEL,
    "MICROCRED_DELIVERY_TIMEOUT": (SENTINEL, 1),
    "MICROCRED_DELIVERY_LEASE_SECONDS": SENTINEL,
    "MICROCRED_DELIVERY_BACKOFF_BASE": SENTINEL,
    "MICROCRED_DELIVERY_BACKOFF_CAP": SENTINEL,
    "MICROCRED_DELIVERY_SWEEP_SECONDS": SENTINEL,
    "MICROCRED_EVENT_MAX_FUTURE_SKEW": SENTINEL,
    "MICROCRED_EVENT_TIME_FLOOR": f"{SENTINEL}-01-01",
    "MICROCRED_NOTIFICATIONS_ENABLED": SENTINEL,
    "MICROCRED_EXPIRY_NOTICE_DAYS": SENTINEL,
    "MICROCRED_NOTIFICATION_SWEEP_SECONDS": SENTINEL,
    "MICROCRED_NOTIFICATION_MAX_ATTEMPTS": SENTINEL,
    "MICROCRED_NOTIFICATION_FROM_EMAIL": [SENTINEL],
    "MICROCRED_STANDALONE_PREFERENCE_MODEL": f"{SENTINEL}.a.b",
    "MICROCRED_FRAME_ANCESTORS": [f"https://{SENTINEL}/path"],
}


def _microcred_messages(deploy=False):
    return [m for m in run_checks(include_deployment_checks=deploy)
            if m.id.startswith("microcred.")]


def _text(messages) -> str:
    return "\n".join(f"{m.msg}\n{m.hint or ''}" for m in messages)


def test_every_setting_has_an_invalid_case():
    assert sorted(INVALID) == sorted(names())


def test_the_default_settings_pass():
    assert _microcred_messages() == []


@pytest.mark.parametrize("name", sorted(INVALID))
def test_an_invalid_setting_is_named_never_echoed(settings, name):
    setattr(settings, name, INVALID[name])
    [message] = _microcred_messages()
    assert message.id == checks.INVALID_SETTING and message.is_serious()
    assert message.msg.startswith(name)
    assert SENTINEL not in _text([message])
    with pytest.raises(ImproperlyConfigured) as raised:
        setting(name)
    assert name in str(raised.value) and SENTINEL not in str(raised.value)


def test_keys_given_as_a_string_are_refused_without_showing_the_key(settings):
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = KEY  # the YAML slip: "KEYS: abc…" instead of a list
    [message] = _microcred_messages()
    assert message.id == checks.KEYS_AS_STRING
    assert "MICROCRED_KEY_ENCRYPTION_KEYS is a single string" in message.msg
    assert "list" in message.hint
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())
    assert "microcred.E002" in str(raised.value)
    for text in (_text([message]), str(raised.value)):
        assert KEY not in text and KEY[:10] not in text


def test_a_malformed_key_in_the_list_is_named_by_position(settings):
    typo = KEY[:-2]  # a key pasted short
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [KEY, typo]
    [message] = _microcred_messages()
    assert message.msg.startswith("MICROCRED_KEY_ENCRYPTION_KEYS entries at positions 1 ")
    assert typo[:10] not in _text([message])


def test_deploy_check_warns_when_the_key_derives_from_secret_key(settings):
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = []
    assert _microcred_messages() == []  # not a development concern
    [warning] = _microcred_messages(deploy=True)
    assert warning.id == checks.DERIVED_KEY and not warning.is_serious()
    assert "microcred_reencrypt" in warning.hint
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [KEY]
    assert _microcred_messages(deploy=True) == []


def test_forwarded_for_needs_a_proxy_count(settings):
    settings.MICROCRED_CLIENT_ADDRESS = "X-Forwarded-For"
    settings.MICROCRED_TRUSTED_PROXY_COUNT = 0
    assert [m.id for m in _microcred_messages()] == [checks.PROXY_COUNT]
    settings.MICROCRED_TRUSTED_PROXY_COUNT = 2
    assert _microcred_messages() == []


@pytest.mark.django_db(transaction=True)
def test_a_string_key_at_run_time_reaches_no_log_row_or_page(settings, caplog, client):
    """The issue's case end to end: the slip reaches a running delivery, its log, the stored
    last error and the admin page a view-only staff member opens."""
    settings.MICROCRED_DELIVERY_BACKOFF_BASE = 0.0
    delivery._CLIENTS.clear()
    api.import_program(program_xml("one", '<course key="course-v1:DemoX+A1+2026">A</course>'))
    user = get_user_model().objects.create_user(username="alice", email="alice@example.com")
    with FakeWebhookReceiver().running() as receiver:
        api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                               secret=WEBHOOK_SECRET)
        receiver.fail_next(server_error())  # the first attempt fails: the row stays pending
        send_passing(user.pk, "course-v1:DemoX+A1+2026", time=utc(2026, 3, 1))
        row = Delivery.objects.get()
        assert row.status == Delivery.PENDING

        settings.MICROCRED_KEY_ENCRYPTION_KEYS = KEY
        delivery._CLIENTS.clear()  # a restarted worker
        with caplog.at_level(logging.INFO):
            delivery.drain()
    row.refresh_from_db()
    assert "MICROCRED_KEY_ENCRYPTION_KEYS" in row.last_error
    staff = get_user_model().objects.create_user(username="viewer", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_delivery"))
    client.force_login(staff)
    page = client.get(f"/admin/openedx_microcred/delivery/{row.pk}/change/")
    assert page.status_code == 200 and "MICROCRED_KEY_ENCRYPTION_KEYS" in page.content.decode()
    for text in (row.last_error, caplog.text, page.content.decode()):
        assert KEY not in text and KEY[:10] not in text


def test_connection_fields_are_never_echoed(db, admin_client):
    secret, password = "tok-" + SENTINEL, "pw-" + SENTINEL
    with pytest.raises(api.RegistryConfigurationError) as raised:
        api.configure_registry(kind="webhook", name="hook",
                               base_url=f"https://user:{password}@hooks.example/x?token={secret}",
                               secret=secret)
    assert SENTINEL not in str(raised.value)
    response = admin_client.post("/admin/openedx_microcred/registryconnection/add/", {
        "name": "", "kind": "webhook", "base_url": "https://hooks.example/x", "secret": secret,
        "options": "{}", "all_programs": "on", "active": "on", "rate_limit": "10",
        "mappings-TOTAL_FORMS": "0", "mappings-INITIAL_FORMS": "0"})
    assert response.status_code == 200  # the form comes back with its errors
    assert "This field is required" in response.content.decode()
    assert SENTINEL not in response.content.decode()


def test_a_jwt_set_without_public_keys_is_refused(settings):
    """edx-drf-extensions takes any signature as valid when the public key set is empty."""
    settings.JWT_AUTH = {**settings.JWT_AUTH, "JWT_PUBLIC_SIGNING_JWK_SET": None}
    [message] = [m for m in _microcred_messages() if m.id == checks.UNVERIFIED_JWT]
    assert message.is_serious() and "JWT_PUBLIC_SIGNING_JWK_SET" in message.msg


def test_the_sandbox_verifies_jwts(settings):
    assert [m for m in _microcred_messages() if m.id == checks.UNVERIFIED_JWT] == []
