"""
Sending learner notifications (the rows ``notifications`` writes) through the platform adapter.

At most once per event: a send first claims its row (pending -> sending, one conditional
UPDATE), so a second task for the same row does nothing; it is marked sent once the transport
returned. A transport error puts the row back to pending for the sweep to retry (up to
MICROCRED_NOTIFICATION_MAX_ATTEMPTS), because the mail server refused it. A worker that dies
between the claim and the mark leaves it in "sending": never re-sent, visible in the admin.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import issuers, languages, notifications, platform, programs, signing
from .conf import setting
from .models import Credential, Notification

log = logging.getLogger(__name__)

SENT = "sent"
SKIPPED = "skipped"
RETRY = "retry"
FAILED = "failed"


@dataclass(frozen=True)
class Facts:
    """What a learner email says (gathered before the language is switched)."""

    kind: str
    user_id: int
    name: str
    email: str
    program_title: str
    issuer_name: str
    issued_at: datetime
    expires_at: datetime | None
    revoked_by_rule: bool


def send(notification_id: int) -> str:
    """Send one notification; return ``sent``, ``skipped`` (already claimed, sent, switched off,
    unsubscribed, no address), ``retry`` (transport error, back to pending) or ``failed``."""
    claimed = Notification.objects.filter(pk=notification_id, status=Notification.PENDING).update(
        status=Notification.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return SKIPPED
    row = Notification.objects.select_related("credential").get(pk=notification_id)
    facts = _facts(row)
    reason = _skip_reason(facts)
    if reason:
        _finish(row, Notification.SKIPPED, error=reason)
        return SKIPPED
    language = languages.supported_language(platform.get_user_language(facts.user_id)) or "en"
    message = render(facts, language=language, credential=row.credential)
    try:
        platform.send_learner_email(message)
    except Exception as error:  # pylint: disable=broad-except
        # The class name only: transport messages can echo addresses.
        log.warning("microcred: email %s not sent (%s)", notification_id, type(error).__name__)
        return _failed(row, type(error).__name__)
    _finish(row, Notification.SENT, language=language, sent_at=timezone.now())
    return SENT


def render(facts: Facts, *, language: str, credential: Credential) -> platform.LearnerEmail:
    """The email for ``facts`` in ``language`` (a supported Django language code)."""
    base = issuers.base_url()
    unsubscribe_url = base + reverse("openedx_microcred:unsubscribe", kwargs={
        "token": notifications.unsubscribe_token(facts.user_id)}) + f"?lang={language}"
    context = {
        "facts": facts,
        "html_lang": languages.HTML_LANG[language],
        "learner_url": f"{base}{reverse('openedx_microcred:learner-dashboard')}",
        "verify_url": signing.verify_url(credential.uuid),
        "unsubscribe_url": unsubscribe_url,
    }
    # Dates read as the signed documents state them (UTC days), whatever the server's TIME_ZONE.
    with translation.override(language), timezone.override(UTC):
        subject = SUBJECTS[facts.kind]() % {"title": facts.program_title}
        context["subject"] = subject
        text = render_to_string("openedx_microcred/email/notification.txt", context)
        html = render_to_string("openedx_microcred/email/notification.html", context)
    return platform.LearnerEmail(
        user_id=facts.user_id, to=facts.email, name=f"credential_{facts.kind}",
        language=language, subject=subject, text=text, html=html,
        from_email=setting("MICROCRED_NOTIFICATION_FROM_EMAIL"),
        headers={"List-Unsubscribe": f"<{unsubscribe_url}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Auto-Submitted": "auto-generated"})


SUBJECTS = {  # called inside translation.override: the subject is in the learner's language
    Notification.ISSUED: lambda: _("You have earned the credential %(title)s"),
    Notification.REVOKED: lambda: _("Your credential %(title)s has been revoked"),
    Notification.EXPIRING: lambda: _("Your credential %(title)s expires soon"),
}


def _facts(row: Notification) -> Facts:
    credential = row.credential
    definition = programs.definition_for(credential.version_id)
    name, email = platform.get_users_contact([credential.user_id]).get(
        credential.user_id, ("", ""))
    return Facts(
        kind=row.kind, user_id=credential.user_id, name=name, email=email,
        program_title=definition.title,
        issuer_name=definition.issuer.name if definition.issuer else definition.org,
        issued_at=credential.issued_at, expires_at=credential.expires_at,
        revoked_by_rule=credential.revoked_by == Credential.BY_RULE)


def _skip_reason(facts: Facts) -> str:
    if not setting("MICROCRED_NOTIFICATIONS_ENABLED"):
        return "notifications disabled"
    if notifications.opted_out(facts.user_id):
        return "unsubscribed"
    if not facts.email:
        return "no email address"
    return ""


def _failed(row: Notification, error: str) -> str:
    if row.attempts >= setting("MICROCRED_NOTIFICATION_MAX_ATTEMPTS"):
        _finish(row, Notification.FAILED, error=error)
        return FAILED
    _finish(row, Notification.PENDING, error=error)
    return RETRY


def _finish(row: Notification, status: str, *, error: str = "", **values) -> None:
    Notification.objects.filter(pk=row.pk, status=Notification.SENDING).update(
        status=status, last_error=error[:255], **values)


__all__ = ["send", "render", "SENT", "SKIPPED", "RETRY", "FAILED"]
