"""Learner emails: issued, revoked, about to expire; once per event; en + zh-Hans; unsubscribe."""
import re
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from openedx_microcred import api, emails, notifications, tasks
from openedx_microcred.conf import setting
from openedx_microcred.models import Credential, EmailOptOut, Notification
from openedx_microcred.testutils import send_passing, utc
from sandbox.models import UserPreference

from .conftest import program_xml

pytestmark = pytest.mark.django_db(transaction=True)

A = "course-v1:DemoX+A101+2026"
B = "course-v1:DemoX+B102+2026"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def program():
    api.import_program(program_xml(
        "datasci",
        f'<course key="{A}" credits="2">Applied Algebra</course>'
        f'<course key="{B}" credits="1.5">Biology</course>',
        valid_months="24"))


def complete(user):
    send_passing(user.pk, A, time=utc(2026, 3, 1))
    send_passing(user.pk, B, time=utc(2026, 3, 2))
    return Credential.objects.get(user=user)


def body_text(message) -> str:
    return message.body


def html_part(message) -> str:
    (html, mimetype), = message.alternatives
    assert mimetype == "text/html"
    return html


def unsubscribe_path(message) -> str:
    match = re.search(r"(http\S+/microcred/unsubscribe/\S+)", message.body)
    assert match, message.body
    url = match.group(1)
    assert url.startswith("http://127.0.0.1:8000/microcred/unsubscribe/")
    return urlsplit(url).path + "?" + urlsplit(url).query


def test_issued_email_arrives_once_with_both_parts(program, learner):
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    assert mail.outbox == []  # the first course alone earns nothing
    credential = complete(learner)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == "You have earned the credential datasci title"
    assert "Hello Alice Liddell," in message.body
    issued_on = date_format(credential.issued_at, "DATE_FORMAT")
    assert f'Demo University has issued you the credential "datasci title" on {issued_on}' \
        in message.body
    assert f"http://127.0.0.1:8000/microcred/verify/{credential.uuid}/" in message.body
    assert "http://127.0.0.1:8000/microcred/" in message.body
    html = html_part(message)
    assert f'href="http://127.0.0.1:8000/microcred/verify/{credential.uuid}/"' in html
    assert '<div lang="en"' in html and "<!DOCTYPE html>" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8000/microcred/unsubscribe/")
    row = Notification.objects.get(credential=credential)
    assert (row.kind, row.status, row.attempts, row.language) == ("issued", "sent", 1, "en")
    assert row.sent_at is not None

    # The event again, the task again, the sweep: no second email.
    send_passing(learner.pk, B, time=utc(2026, 3, 2))
    assert emails.send(row.pk) == emails.SKIPPED
    tasks.notify.apply(args=(row.pk,))
    assert tasks.sweep_notifications.apply().get() == 0
    assert len(mail.outbox) == 1


def test_no_email_when_the_issuing_transaction_rolls_back(program, learner):
    send_passing(learner.pk, A, time=utc(2026, 3, 1))

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        send_passing(learner.pk, B, time=utc(2026, 3, 2))
        raise Abort
    assert mail.outbox == []
    assert not Notification.objects.exists()


def prefer(user, language):
    """The learner picks a language in the LMS's language selector."""
    UserPreference.objects.update_or_create(user=user, key="pref-lang",
                                            defaults={"value": language})


def test_chinese_for_a_zh_cn_learner(program, learner):
    prefer(learner, "zh-cn")
    complete(learner)
    message, = mail.outbox
    assert message.subject == "您已获得证书 datasci title"
    issued = Credential.objects.get().issued_at
    assert f"{issued.year}年{issued.month}月{issued.day}日" in message.body
    assert "退订" in message.body
    assert '<div lang="zh-Hans"' in html_part(message)
    assert "?lang=zh-hans" in message.extra_headers["List-Unsubscribe"]
    assert Notification.objects.get().language == "zh-hans"
    # The whole message encodes: subject header included.
    raw = message.message().as_bytes()
    parsed = message_from_bytes(raw)
    assert str(make_header(decode_header(parsed["Subject"]))) == message.subject


def test_revoked_email(program, learner):
    credential = complete(learner)
    assert api.revoke_credential(credential.uuid, reason="academic misconduct")
    assert [m.subject for m in mail.outbox] == [
        "You have earned the credential datasci title",
        "Your credential datasci title has been revoked"]
    revoked = mail.outbox[1]
    assert "Demo University has revoked your credential" in revoked.body
    assert "contact the issuer" in revoked.body
    # The staff reason is for staff: the learner is not shown it.
    assert "misconduct" not in revoked.body and "misconduct" not in html_part(revoked)
    assert not api.revoke_credential(credential.uuid, reason="again")
    assert len(mail.outbox) == 2


def test_expiring_email_from_the_beat_schedule(program, learner, settings):
    credential = complete(learner)
    mail.outbox.clear()
    entry = settings.CELERY_BEAT_SCHEDULE["openedx-microcred-sweep-notifications"]
    assert entry["task"] == tasks.sweep_notifications.name
    assert entry["schedule"] == float(setting("MICROCRED_NOTIFICATION_SWEEP_SECONDS"))

    assert tasks.sweep_notifications.apply().get() == 0  # expires in 24 months: not yet
    soon = timezone.now() + timedelta(days=10)
    Credential.objects.filter(pk=credential.pk).update(expires_at=soon)
    assert tasks.sweep_notifications.apply().get() == 1
    message, = mail.outbox
    assert message.subject == "Your credential datasci title expires soon"
    assert "expires on" in message.body
    assert tasks.sweep_notifications.apply().get() == 0
    assert len(mail.outbox) == 1


def test_expired_and_revoked_credentials_get_no_expiry_notice(program, learner):
    credential = complete(learner)
    api.revoke_credential(credential.uuid, reason="x")
    Credential.objects.filter(pk=credential.pk).update(
        expires_at=timezone.now() + timedelta(days=3))
    mail.outbox.clear()
    assert notifications.write_expiring() == 0
    assert mail.outbox == []


def test_operator_switch(program, learner, settings):
    settings.MICROCRED_NOTIFICATIONS_ENABLED = False
    credential = complete(learner)
    api.revoke_credential(credential.uuid, reason="x")
    assert mail.outbox == [] and not Notification.objects.exists()


def test_switch_turned_off_before_the_task_runs_skips(program, learner, settings):
    send_passing(learner.pk, A, time=utc(2026, 3, 1))
    credential = None
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "dispatch_notifications", lambda ids: None)  # task message lost
        credential = complete(learner)
    row = Notification.objects.get(credential=credential)
    assert row.status == Notification.PENDING
    settings.MICROCRED_NOTIFICATIONS_ENABLED = False
    assert emails.send(row.pk) == emails.SKIPPED
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("skipped", "notifications disabled")
    assert mail.outbox == []


def test_lost_task_message_is_recovered_by_the_sweep(program, learner):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "dispatch_notifications", lambda ids: None)
        complete(learner)
    assert mail.outbox == []
    assert tasks.sweep_notifications.apply().get() == 1
    assert len(mail.outbox) == 1


def test_transport_error_retries_then_fails(program, learner, settings):
    settings.EMAIL_BACKEND = "tests.test_notifications.BrokenBackend"
    settings.MICROCRED_NOTIFICATION_MAX_ATTEMPTS = 2
    credential = complete(learner)
    row = Notification.objects.get(credential=credential)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "ConnectionRefusedError")
    tasks.sweep_notifications.apply()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", 2)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert tasks.sweep_notifications.apply().get() == 0
    assert mail.outbox == []


class BrokenBackend:
    """A mail backend whose server refuses connections."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


def test_claimed_row_is_never_sent_twice(program, learner):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "dispatch_notifications", lambda ids: None)
        credential = complete(learner)
    row = Notification.objects.get(credential=credential)
    # A worker claimed it and died before marking it sent.
    Notification.objects.filter(pk=row.pk).update(status=Notification.SENDING, attempts=1)
    assert tasks.sweep_notifications.apply().get() == 0
    assert emails.send(row.pk) == emails.SKIPPED
    assert mail.outbox == []


def test_unsubscribe_link_confirm_then_no_more_mail(client, program, learner):
    credential = complete(learner)
    path = unsubscribe_path(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stop emails about your micro-credentials?" in html
    assert '<form method="post"' in html
    assert "form-action 'self'" in page["Content-Security-Policy"]
    assert not EmailOptOut.objects.exists()  # a GET (a mail scanner) changes nothing

    done = client.post(path)  # no login, no CSRF cookie: the token is the authority
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert EmailOptOut.objects.filter(user=learner).exists()
    assert "You are unsubscribed" in client.get(path).content.decode()
    assert client.post(path).status_code == 200  # twice: still fine

    api.revoke_credential(credential.uuid, reason="x")
    Credential.objects.filter(pk=credential.pk).update(
        status=Credential.AWARDED, expires_at=timezone.now() + timedelta(days=2))
    tasks.sweep_notifications.apply()
    assert len(mail.outbox) == 1  # only the first email
    assert not Notification.objects.exclude(kind="issued").exists()


def test_unsubscribe_drops_pending_emails(program, learner):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "dispatch_notifications", lambda ids: None)
        complete(learner)
    assert api.unsubscribe(token=notifications.unsubscribe_token(learner.pk))
    assert not api.unsubscribe(token=notifications.unsubscribe_token(learner.pk))
    assert tasks.sweep_notifications.apply().get() == 0
    assert mail.outbox == []
    assert Notification.objects.get().status == Notification.SKIPPED


def test_unsubscribe_link_in_chinese(client, program, learner):
    prefer(learner, "zh-cn")
    complete(learner)
    page = client.get(unsubscribe_path(mail.outbox[0]))
    html = page.content.decode()
    assert '<html lang="zh-Hans"' in html
    assert "退订" in html


@pytest.mark.parametrize("token", ["", "abc", "eyJhIjoxfQ:1:forged", "x" * 300])
def test_forged_or_damaged_tokens_are_refused(client, program, learner, token):
    real = notifications.unsubscribe_token(learner.pk)
    for bad in (token, real[:-2] + ("AA" if not real.endswith("AA") else "BB")):
        if not bad:
            continue
        response = client.post(f"/microcred/unsubscribe/{bad}/")
        assert response.status_code == 404
        assert "This unsubscribe link is not valid" in response.content.decode()
    assert not EmailOptOut.objects.exists()


def test_token_for_another_purpose_or_unknown_learner_is_refused(client, learner):
    from django.core import signing
    other_salt = signing.dumps(learner.pk, salt="something-else", compress=True)
    unknown = notifications.unsubscribe_token(learner.pk + 1000)
    for token in (other_salt, unknown):
        assert client.post(f"/microcred/unsubscribe/{token}/").status_code == 404
    assert not EmailOptOut.objects.exists()


def test_learner_whose_email_was_removed_is_skipped(program, learner):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks, "dispatch_notifications", lambda ids: None)
        complete(learner)
    learner.email = ""
    learner.save()
    tasks.sweep_notifications.apply()
    assert mail.outbox == []
    assert Notification.objects.get().last_error == "no email address"
