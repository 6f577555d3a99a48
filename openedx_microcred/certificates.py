"""
The downloads of a learner's own credential: the PDF certificate and the baked badge image.

Labels, dates and numbers are rendered in the active language (the caller activates the
learner's); the renderers themselves (``artifacts``) are pure. A revoked credential has neither
download: a certificate must not outlive the credential it shows.
"""
from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .artifacts import CertificateContent, CertificateItem
from .artifacts.badge import render_badge
from .artifacts.pdf import render_certificate
from .formatting import display_date, display_number
from .learners import LearnerCredentialData, learner_credential, owned_credential
from .models import Credential

__all__ = ["certificate_pdf", "badge_png", "certificate_content", "measure_text"]


def certificate_pdf(*, user_id: int, credential_uuid: UUID | str) -> bytes:
    """The PDF certificate of the learner's credential. Raises ``LookupError`` when it does not
    exist, is not theirs, or is revoked."""
    credential = learner_credential(user_id=user_id, credential_uuid=credential_uuid)
    if credential.status == Credential.REVOKED:
        raise LookupError(credential_uuid)
    return render_certificate(certificate_content(credential))


def badge_png(*, user_id: int, credential_uuid: UUID | str) -> bytes:
    """The badge image with the signed credential baked in (OB 3.0 baking). Raises
    ``LookupError`` when it does not exist, is not theirs, or is revoked."""
    row = owned_credential(user_id=user_id, credential_uuid=credential_uuid)
    if row.current_status() == Credential.REVOKED:
        raise LookupError(credential_uuid)
    credential = learner_credential(user_id=user_id, credential_uuid=credential_uuid)
    return render_badge(title=credential.title, issuer=credential.issuer_name,
                        credential=row.document or {})


def certificate_content(credential: LearnerCredentialData) -> CertificateContent:
    """What the PDF shows, formatted in the active language."""
    items = tuple(
        CertificateItem(title=item.title, detail=item.key if item.kind == "course" else "",
                        measure=measure_text(item.credits, item.hours))
        for item in credential.items)
    note = ""
    if credential.status == Credential.EXPIRED and credential.expires_at:
        note = _("Expired on %(date)s") % {"date": _date(credential.expires_at)}
    return CertificateContent(
        learner_name=credential.learner_name, program_title=credential.title,
        issuer_name=credential.issuer_name, issued_on=_date(credential.issued_at),
        expires_on=_date(credential.expires_at) if credential.expires_at else "",
        verify_url=credential.verify_url, credential_id=str(credential.uuid),
        measure=measure_text(credential.credits_earned, credential.hours), status_note=note,
        items=items, issued_at=credential.issued_at, credits=credential.credits_earned,
        labels={
            "heading": _("Micro-credential"),
            "certifies": _("This certifies that"),
            "earned": _("has earned the micro-credential"),
            "issued": _("Issued"),
            "expires": _("Valid until"),
            "courses": _("Courses and achievements"),
            "verify": _("Verify this credential by scanning the QR code or visiting:"),
            "credential_id": _("Credential ID"),
        })


def measure_text(credits, hours) -> str:
    """"1 credit", "3.5 credits", else "36 hours" ("" when there is neither)."""
    if credits:
        return ngettext("%(credits)s credit", "%(credits)s credits", _plural(credits)) % {
            "credits": display_number(credits)}
    if hours:
        return ngettext("%(hours)s hour", "%(hours)s hours", _plural(hours)) % {
            "hours": display_number(hours)}
    return ""


def _plural(value) -> int:
    """The count that picks the plural form: fractions take the plural ("1.5 credits")."""
    value = Decimal(value)
    return int(value) if value == value.to_integral() else 2


def _date(value) -> str:
    return display_date(value)
