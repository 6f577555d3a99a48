"""
The transactional outbox (DESIGN §2): a ``Delivery`` row per (credential, connection, action),
written in the same transaction that issues or revokes the credential.

DO NOT send anything from here: rows are only written. The delivery engine (``delivery``) sends
them after the transaction commits, and a periodic sweep recovers any whose task was lost — so a
credential and its deliveries exist together or not at all, and nothing is lost.
"""
from __future__ import annotations

from django.db.models import Q

from .models import Credential, Delivery, RegistryConnection


def connections_for(credential: Credential):
    """Active connections that take this credential's programme (all, or mapped to it)."""
    return (RegistryConnection.objects.filter(active=True)
            .filter(Q(all_programs=True) | Q(mappings__program_id=credential.program_id))
            .distinct())


def write(credential: Credential, action: str) -> int:
    """Write the deliveries of ``action`` for ``credential``; return how many are new.

    A revocation goes only where the issue was sent (or is on its way). Idempotent: the
    ``(credential, connection, action)`` constraint makes a repeat a no-op.
    """
    connections = connections_for(credential)
    if action == Delivery.REVOKE:
        connections = connections.filter(deliveries__credential=credential,
                                         deliveries__action=Delivery.ISSUE)
    rows = [Delivery(credential=credential, connection=connection, action=action)
            for connection in connections]
    before = Delivery.objects.filter(credential=credential, action=action).count()
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return Delivery.objects.filter(credential=credential, action=action).count() - before


def pending_ids(credential_ids) -> list[int]:
    """Pending deliveries of the given credentials (to hand to the delivery task)."""
    return list(Delivery.objects.filter(credential_id__in=list(credential_ids),
                                        status=Delivery.PENDING).values_list("pk", flat=True))
