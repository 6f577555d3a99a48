"""Keys that survive rotation: SECRET_KEY_FALLBACKS, MICROCRED_KEY_ENCRYPTION_KEYS lists,
microcred_reencrypt, and plain, non-losing behaviour when a stored secret cannot be decrypted.

Real flows: passing events through openedx-events, Celery (eager), the delivery engine, and fake
registries over real HTTP on 127.0.0.1.
"""
import io
import logging

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from openedx_microcred import api, delivery, encryption, rekeying, tasks
from openedx_microcred.credentials import statuslist
from openedx_microcred.models import (
    Credential,
    Delivery,
    Heartbeat,
    IssuerKey,
    ProgramProgress,
    RegistryConnection,
    StatusList,
)
from openedx_microcred.testutils import send_passing, utc

from .conftest import program_xml
from .registries.fakes import CREDLY_TOKEN, WEBHOOK_SECRET, FakeCredly, FakeWebhookReceiver

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
TEMPLATE = "tmpl-data-trade"
OLD_SECRET_KEY = "old-secret-key-" + "o" * 40
NEW_SECRET_KEY = "new-secret-key-" + "n" * 40


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.MICROCRED_DELIVERY_TIMEOUT = (1.0, 0.5)
    settings.MICROCRED_DELIVERY_BACKOFF_BASE = 0.0
    settings.MICROCRED_DELIVERY_MAX_ATTEMPTS = 3
    delivery._CLIENTS.clear()
    yield
    delivery._CLIENTS.clear()


@pytest.fixture
def receiver():
    with FakeWebhookReceiver().running() as fake:
        yield fake


@pytest.fixture
def credly():
    with FakeCredly().running() as fake:
        yield fake


@pytest.fixture
def registries(receiver, credly):
    """The programme, a webhook and a Credly connection (secrets encrypted under the keys
    configured when the fixture runs; ``_connect`` writes them again)."""
    api.import_program(program_xml("one", f'<course key="{A}" credits="2">A</course>'))
    _connect((receiver, credly))
    return receiver, credly


def _connect(registries):
    receiver, credly = registries
    api.configure_registry(kind="webhook", name="hook", base_url=receiver.url,
                           secret=WEBHOOK_SECRET)
    api.configure_registry(kind="credly", name="credly", base_url=credly.url, secret=CREDLY_TOKEN,
                           options={"organization_id": credly.organization_id,
                                    "badge_template_id": TEMPLATE})


def _learner(name):
    # A full name: registries refuse learners without one (never sent the username instead).
    return get_user_model().objects.create_user(username=name, email=f"{name}@example.com",
                                                first_name="Ada", last_name=name.title())


def _earn(name, day=1):
    user = _learner(name)
    send_passing(user.pk, A, time=utc(2026, 3, day))
    return Credential.objects.filter(user=user).first(), user


def _new_process():
    """What a restarted worker has: no cached registry clients."""
    delivery._CLIENTS.clear()


def _deliveries(credential):
    return sorted(Delivery.objects.filter(credential=credential)
                  .values_list("connection__name", "action", "status"))


def _published_bit(credential) -> bool:
    """The revocation bit as verifiers see it: in the served, signed status-list document."""
    document = api.get_status_list_document(credential.status_list.list_id)
    bits = statuslist.decode_list(document["credentialSubject"]["encodedList"])
    return statuslist.get_bit(bits, credential.status_index)


def _assert_issue_revoke_deliver_work(name, registries, day):
    receiver, credly = registries
    credential, _ = _earn(name, day)
    assert credential is not None and credential.status == Credential.AWARDED
    assert api.get_verification(credential.uuid).verdict == "valid"
    assert api.revoke_credential(credential.uuid, reason="issued in error")
    credential.refresh_from_db()
    assert _published_bit(credential)
    assert not StatusList.objects.filter(signature_pending=True).exists()
    assert api.get_verification(credential.uuid).verdict == "revoked"
    assert _deliveries(credential) == [
        ("credly", "issue", "delivered"), ("credly", "revoke", "delivered"),
        ("hook", "issue", "delivered"), ("hook", "revoke", "delivered")]
    return credential


def test_secret_key_rotation_with_the_old_key_in_fallbacks(settings, registries):
    settings.SECRET_KEY, settings.MICROCRED_KEY_ENCRYPTION_KEYS = OLD_SECRET_KEY, []
    _connect(registries)  # the connection secrets are written under the old SECRET_KEY
    _new_process()
    before, _ = _earn("before")  # the org's signing key is created under the old SECRET_KEY

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_SECRET_KEY, [OLD_SECRET_KEY]
    _new_process()
    _assert_issue_revoke_deliver_work("after-rotation", registries, day=2)
    assert api.revoke_credential(before.uuid, reason="withdrawn")
    assert _deliveries(before)[-1] == ("hook", "revoke", "delivered")

    out = io.StringIO()
    call_command("microcred_reencrypt", stdout=out)
    assert "Re-encrypted 3 secrets; 0 were already under the first key" in out.getvalue()
    settings.SECRET_KEY_FALLBACKS = []  # the old key is gone for good
    _new_process()
    _assert_issue_revoke_deliver_work("after-reencrypt", registries, day=3)


def test_a_new_first_key_in_the_list(settings, registries):
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [first]
    _connect(registries)  # written again under ``first``
    _earn("before")
    assert all(state.current for state in rekeying.states())

    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [second, first]
    _new_process()
    _assert_issue_revoke_deliver_work("after-rotation", registries, day=2)
    assert [state.current for state in rekeying.states()] == [False, False, False]

    call_command("microcred_reencrypt", stdout=io.StringIO())
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [second]
    settings.SECRET_KEY = NEW_SECRET_KEY  # nor does anything depend on SECRET_KEY any more
    _new_process()
    assert all(state.current for state in rekeying.states())
    _assert_issue_revoke_deliver_work("after-reencrypt", registries, day=3)


def test_secrets_from_before_the_keys_were_configured_still_open(settings, registries):
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = []  # the sandbox default: derived from SECRET_KEY
    _earn("before")
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    _new_process()
    _assert_issue_revoke_deliver_work("configured", registries, day=2)


def test_reencrypt_is_idempotent_and_counts(settings, registries):
    _earn("someone")
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    out = io.StringIO()
    call_command("microcred_reencrypt", "--progress-every", "2", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "3 stored secrets to check."
    assert "2/3 checked" in lines and "3/3 checked" in lines
    assert lines[-1] == ("Re-encrypted 3 secrets; 0 were already under the first key; "
                         "0 cannot be decrypted.")
    tokens = sorted(IssuerKey.objects.values_list("encrypted_private_key", flat=True))
    again = io.StringIO()
    call_command("microcred_reencrypt", stdout=again)
    assert again.getvalue().splitlines()[-1] == (
        "Re-encrypted 0 secrets; 3 were already under the first key; 0 cannot be decrypted.")
    assert sorted(IssuerKey.objects.values_list("encrypted_private_key", flat=True)) == tokens


def test_reencrypt_names_what_it_cannot_open_and_fails(settings, registries):
    _earn("someone")
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    settings.SECRET_KEY = NEW_SECRET_KEY  # the key that wrote them is gone
    with pytest.raises(CommandError) as raised:
        call_command("microcred_reencrypt", stdout=io.StringIO())
    message = str(raised.value)
    assert "the signing key of org 'DemoX'" in message
    assert "the secret of registry connection 'hook'" in message
    assert "the secret of registry connection 'credly'" in message


def test_every_encrypted_field_is_reencrypted():
    encrypted = {(model, field.name) for model in apps.get_app_config("openedx_microcred")
                 .get_models() for field in model._meta.get_fields()
                 if "encrypted" in field.name}
    assert encrypted == set(rekeying.ENCRYPTED_FIELDS)


# --- When a secret cannot be decrypted ---------------------------------------------------------

@pytest.fixture
def lost_key(settings, registries):
    """A credential issued and delivered under key K1; then K1 is removed from the settings."""
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [k1]
    _connect(registries)
    credential, _ = _earn("earned")
    assert credential is not None and _deliveries(credential)[0][2] == "delivered"
    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [k2]  # K1 lost in a bad deploy
    _new_process()
    return credential, (k1, k2)


def _no_key_material(text: str, keys) -> None:
    assert "InvalidToken" not in text
    for key in keys:
        assert key not in text and key[:12] not in text


def test_issuance_says_which_org_and_what_to_do(lost_key, caplog, settings):
    _, keys = lost_key
    with caplog.at_level(logging.ERROR, logger="openedx_microcred"):
        credential, user = _earn("waiting", day=2)  # the event is accepted, nothing raises
    assert credential is None
    assert ProgramProgress.objects.get(user=user).complete  # the evaluation itself committed
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    [message] = [m for m in errors if "cannot issue one" in m]
    assert "the signing key of org 'DemoX' cannot be decrypted" in message
    assert "MICROCRED_KEY_ENCRYPTION_KEYS" in message and "microcred_backfill" in message
    assert not any("could not enqueue" in m for m in errors)
    _no_key_material("\n".join(errors), keys)

    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [keys[1], keys[0]]  # the key is back
    call_command("microcred_backfill", "--program", "one", stdout=io.StringIO(),
                 stderr=io.StringIO())
    issued = Credential.objects.get(user=user)
    assert api.get_verification(issued.uuid).verdict == "valid"


def test_a_revocation_is_recorded_and_completed_when_the_key_is_back(lost_key, settings, caplog,
                                                                     receiver):
    credential, keys = lost_key
    with caplog.at_level(logging.ERROR, logger="openedx_microcred"):
        assert api.revoke_credential(credential.uuid, reason="issued in error")
    credential.refresh_from_db()
    assert credential.status == Credential.REVOKED  # recorded, not rolled back
    assert StatusList.objects.get().signature_pending
    assert not _published_bit(credential)  # the served list is the previous signed one
    assert api.get_verification(credential.uuid).verdict == "revoked"  # our page knows already
    assert any("awaits its signature" in r.getMessage() for r in caplog.records)

    # the registries are told as soon as their secrets open; meanwhile a plain, retried error
    tasks.sweep_deliveries()
    row = Delivery.objects.get(credential=credential, connection__name="hook", action="revoke")
    assert row.status == Delivery.PENDING
    assert row.last_error.startswith("the secret of registry connection 'hook' cannot be "
                                     "decrypted with the configured keys: restore the key")
    assert "enter the connection's secret again in the admin" in row.last_error
    _no_key_material(row.last_error, keys)
    status = _status()
    assert any("Status list" in note and "awaits its signature" in note
               for note in status["attention"])
    assert "the signing key of org 'DemoX'" in " ".join(status["attention"])

    settings.MICROCRED_KEY_ENCRYPTION_KEYS = [keys[1], keys[0]]
    _new_process()
    tasks.sweep_deliveries()  # signs the list; the revocations are enqueued and sent
    delivery.drain(until_idle=True, timeout=10)
    assert not StatusList.objects.filter(signature_pending=True).exists()
    assert _published_bit(credential)
    assert _deliveries(credential) == [
        ("credly", "issue", "delivered"), ("credly", "revoke", "delivered"),
        ("hook", "issue", "delivered"), ("hook", "revoke", "delivered")]
    assert [e["event"] for e in receiver.events] == ["credential.issued", "credential.revoked"]
    assert Heartbeat.objects.get(name=Heartbeat.SWEEP).last_run_at is not None


def test_admin_says_so_plainly(lost_key, admin_client):
    credential, keys = lost_key
    hook = RegistryConnection.objects.get(name="hook")
    response = admin_client.post("/admin/openedx_microcred/registryconnection/", {
        "action": "test_connection", "_selected_action": [hook.pk]}, follow=True)
    assert response.status_code == 200
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith("hook: the secret of registry connection 'hook' cannot be decrypted")
    _no_key_material(message, keys)

    response = admin_client.post("/admin/openedx_microcred/credential/", {
        "action": "revoke_selected", "_selected_action": [credential.pk]}, follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "1 credential revoked."
    assert "the status list of DemoX awaits its signature" in messages[1]
    assert "the signing key of org 'DemoX' cannot be decrypted" in messages[1]
    credential.refresh_from_db()
    assert credential.status == Credential.REVOKED


def test_configure_registry_and_public_documents_say_so(lost_key):
    credential, keys = lost_key
    with pytest.raises(api.RegistryConfigurationError) as raised:
        api.configure_registry(kind="webhook", name="hook", base_url="https://hooks.example/x")
    assert str(raised.value).startswith("the secret of registry connection 'hook' cannot be "
                                        "decrypted")
    _no_key_material(str(raised.value), keys)
    # a new secret replaces the unreadable one
    api.configure_registry(kind="webhook", name="hook", base_url="https://hooks.example/x",
                           secret="a-new-signing-secret")
    assert encryption.decrypt_text(RegistryConnection.objects.get(name="hook").encrypted_secret) \
        == "a-new-signing-secret"
    # the webhook delivery built the CLR; without a webhook it is signed on first use
    Credential.objects.filter(pk=credential.pk).update(clr_document=None)
    with pytest.raises(api.DocumentUnavailable):
        api.get_clr_document(credential.uuid)


def test_clr_page_answers_503_not_500(lost_key, client):
    credential, _ = lost_key
    Credential.objects.filter(pk=credential.pk).update(clr_document=None)  # not built yet
    response = client.get(f"/microcred/credentials/{credential.uuid}/clr.jsonld")
    assert response.status_code == 503
    assert response.json() == {"error": "temporarily unavailable"}
    assert response["Retry-After"] == "300"


def _status() -> dict:
    import json

    out = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("microcred_status", "--json", stdout=out)
    assert exited.value.code == 1
    return json.loads(out.getvalue())
