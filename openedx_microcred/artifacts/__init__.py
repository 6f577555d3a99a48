"""
Downloadable artefacts of a credential: the PDF certificate and the baked badge image.

DO NOT import Django here: these are pure renderers of a ``CertificateContent`` (labels already
translated by the caller), so they are tested without a database and run anywhere. The bundled
font (``fonts/``, WenQuanYi Micro Hei, Apache-2.0) covers Latin and Chinese text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

FONT_PATH = Path(__file__).parent / "fonts" / "wqy-microhei-gbk.ttf"

__all__ = ["CertificateContent", "CertificateItem", "FONT_PATH"]


@dataclass(frozen=True)
class CertificateItem:
    """One line of the certificate's list: a course (or stacked programme) with its credits
    or hours, as already formatted text."""

    title: str
    detail: str = ""
    measure: str = ""


@dataclass(frozen=True)
class CertificateContent:
    """Everything a certificate or badge shows, in display form (translated, formatted).

    ``labels`` keys: ``heading``, ``certifies``, ``earned``, ``issued``, ``expires``,
    ``credits``, ``courses``, ``verify``, ``credential_id``, ``status`` (each optional).
    """

    learner_name: str
    program_title: str
    issuer_name: str
    issued_on: str
    verify_url: str
    credential_id: str
    measure: str = ""  # "12 credits" / "216 hours"
    expires_on: str = ""
    status_note: str = ""  # e.g. "Revoked on 2026-05-01": printed prominently when set
    items: tuple[CertificateItem, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    issued_at: datetime | None = None
    credits: Decimal | None = None
