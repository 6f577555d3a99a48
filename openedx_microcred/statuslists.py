"""
Revocation status: Bitstring Status List v1.0, one family of lists per issuing org and issuer id.

An index is allocated at issuance, under a row lock on the org's current list, and never reused
(a UNIQUE constraint on ``(status_list, status_index)`` backs this). Setting a bit re-signs the
list credential in the same transaction, so the served list always carries a valid proof —
unless the org's signing key cannot be decrypted: then the bit is recorded and the list waits
(``signature_pending``) for the sweep to sign it.
"""
from __future__ import annotations

import hashlib
import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from . import encryption, issuers
from .conf import setting
from .credentials import proof, statuslist
from .models import StatusList, org_key

log = logging.getLogger(__name__)


def allocate(org: str) -> tuple[StatusList, int]:
    """Reserve the next free index of a revocation list of ``org`` under its current issuer id
    (a new list when full, or when the issuer id changed: a did:key rotation).

    Lists are kept per issuer id because a verifier requires the list credential's issuer to
    equal the credential's; an issuer id that changes must not share a list with the old one.
    Must run inside the issuing transaction: the reservation commits or rolls back with it.
    """
    issuer = issuers.signer_for(org).did
    for _ in range(3):  # a concurrent issuer may create the org's next list first
        current = (StatusList.objects.select_for_update()
                   .filter(org_key=org_key(org), issuer=issuer, purpose=StatusList.REVOCATION,
                           next_index__lt=F("size"))
                   .order_by("pk").first())
        if current is not None:
            break
        try:
            with transaction.atomic():
                _new_list(org, issuer)
        except IntegrityError:
            continue
    else:
        raise RuntimeError(f"could not allocate a status-list index for {org}")
    index = current.next_index
    StatusList.objects.filter(pk=current.pk).update(next_index=index + 1)
    return current, index


def list_url(status_list: StatusList) -> str:
    """Where the signed list credential is served."""
    base = issuers.base_url()
    if not base:
        return f"urn:microcred:status:{status_list.list_id}"
    return f"{base}/microcred/status/{status_list.list_id}"


def entry(status_list: StatusList, index: int) -> dict:
    """The ``credentialStatus`` entry of the credential holding ``index``."""
    return statuslist.status_entry(list_credential_url=list_url(status_list), index=index,
                                   purpose=status_list.purpose)


def is_set(status_list: StatusList, index: int) -> bool:
    """Whether the bit at ``index`` is set (the credential is revoked)."""
    return statuslist.get_bit(bytearray(status_list.bits), index)


def set_bit(status_list_pk: int, index: int) -> StatusList:
    """Set the bit at ``index`` and re-sign the list (idempotent).

    When the org's signing key cannot be decrypted the bit is still set and the list is marked
    ``signature_pending`` (the previous signed document is served meanwhile): a revocation is
    never lost, and ``sign_pending`` (run by the sweep) signs the list once the key is back.
    """
    with transaction.atomic():
        current = StatusList.objects.select_for_update().get(pk=status_list_pk)
        bits = bytearray(current.bits)
        if statuslist.get_bit(bits, index):
            return current
        statuslist.set_bit(bits, index, True)
        current.bits = bytes(bits)
        current.updated = timezone.now()
        _sign_or_defer(current)
        current.save(update_fields=["bits", "document", "signature_pending", "updated"])
        return current


def sign_pending() -> tuple[int, int]:
    """Sign every list whose signature is pending; return (signed, still pending)."""
    signed = still_pending = 0
    for pk in StatusList.objects.filter(signature_pending=True).values_list("pk", flat=True):
        with transaction.atomic():
            current = StatusList.objects.select_for_update().get(pk=pk)
            if not current.signature_pending:
                continue
            _sign_or_defer(current)
            current.save(update_fields=["document", "signature_pending"])
        signed += not current.signature_pending
        still_pending += current.signature_pending
    return signed, still_pending


def _sign_or_defer(current: StatusList) -> None:
    try:
        current.document = _signed_document(current)
    except encryption.DecryptionError as error:
        current.signature_pending = True
        log.error("microcred: status list %s awaits its signature (the revocation is recorded; "
                  "the sweep signs the list once the key is available): %s",
                  current.list_id, error)
    else:
        current.signature_pending = False


def _new_list(org: str, issuer: str) -> StatusList:
    size = setting("MICROCRED_STATUS_LIST_SIZE")
    number = StatusList.objects.filter(org_key=org_key(org), issuer=issuer).count() + 1
    created = StatusList(list_id=list_id(org, issuer, number), org=org, org_key=org_key(org),
                         issuer=issuer,
                         purpose=StatusList.REVOCATION, size=size,
                         bits=bytes(statuslist.new_bitstring(size)))
    created.document = _signed_document(created)
    created.save()
    return created


def list_id(org: str, issuer: str, number: int) -> str:
    """The URL id of list ``number`` of ``org`` under issuer id ``issuer``: readable (the org's
    slug) and unique per distinct (org, issuer) — orgs differing only in case or punctuation
    slugify alike, so a digest of the exact values tells them apart."""
    digest = hashlib.sha256(f"{org}\n{issuer}".encode()).hexdigest()[:12]
    return f"{slugify(org)[:60] or 'org'}-{digest}-revocation-{number}"


def _signed_document(status_list: StatusList) -> dict:
    signer = issuers.signer_for_did(status_list.org, status_list.issuer)
    now = timezone.now()
    unsigned = statuslist.build_status_list_credential(
        list_credential_url=list_url(status_list), issuer_id=signer.did,
        bits=bytearray(status_list.bits), valid_from=now, purpose=status_list.purpose)
    return proof.sign(unsigned, private_key=signer.private_key,
                      verification_method=signer.verification_method, created=now)
