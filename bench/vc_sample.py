"""
The credential the signing and delivery phases use: a realistic programme
``AchievementCredential`` for the sample programme ``tmu-preventive-medicine`` (15 courses in 5
groups, Chinese text, EU Annex I elements), built with
``openedx_microcred.credentials.achievement.build_achievement_credential`` the way
``openedx_microcred.signing.sign_documents`` builds it at issuance: a did:web issuer, a hashed
e-mail recipient, a Bitstring Status List entry, validity dates, and one evidence item per
course (every leaf satisfied, in tree order). Deterministic (fixed key, salt and dates), so the
Python and JavaScript signers sign exactly the same bytes.

Needs ``env.setup_django`` first (``openedx_microcred.signing`` imports the models).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import env

PROGRAM_ID = "tmu-preventive-medicine"
PROGRAM_XML = env.REPO / "openedx_microcred" / "demo" / "programs" / f"{PROGRAM_ID}.xml"
LMS = "https://lms.example.edu"
ORG = "TMUx"
# did:web:<host>:microcred:issuers:<org>, as openedx_microcred.issuers.org_did names it.
ISSUER_DID = f"did:web:lms.example.edu:microcred:issuers:{ORG}"
ISSUED = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
CREDENTIAL_UUID = "5b0f3d9e-2a41-4c7b-9d55-0c8e6f1a2b3c"
LEARNER_EMAIL = "Li.Hua@Example.EDU"
SALT = "6f1c2a9be04d4a5f8c3d2e1b0a9f8e7d"


@dataclass(frozen=True)
class Sample:
    unsigned: dict[str, Any]
    private_key: Any  # Ed25519PrivateKey
    did: str
    verification_method: str
    did_document: dict[str, Any]
    courses: int
    program_xml: bytes
    evidence: tuple  # rules.Evidence, one per course, in tree order

    def evidence_json(self) -> list[dict]:
        """``Credential.evidence`` as ``openedx_microcred.issuance`` stores it."""
        return [{"path": item.path, "kind": item.kind, "key": item.key,
                 "credits": str(item.credits),
                 "achieved_at": item.achieved_at.isoformat() if item.achieved_at else None,
                 "grade": item.grade} for item in self.evidence]

    def key_for_js(self) -> dict[str, str]:
        """The ``key`` of ``tests/js/issue.mjs``: the same key pair as a Multikey."""
        from openedx_microcred.credentials.multikey import encode_public_key, encode_secret_key

        return {"id": self.verification_method, "controller": self.did,
                "publicKeyMultibase": encode_public_key(self.private_key.public_key()),
                "secretKeyMultibase": encode_secret_key(self.private_key)}


def build(private_key=None, did: str = ISSUER_DID) -> Sample:
    """The sample, signed (later) by ``private_key`` as ``did`` (default: a fixed key, did:web
    of lms.example.edu; the delivery phase passes the org's real key from the database)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from openedx_microcred import rules, signing
    from openedx_microcred.credentials.achievement import (
        IssuerProfile,
        build_achievement_credential,
        valid_until_for,
    )
    from openedx_microcred.credentials.did import did_document, verification_method_id
    from openedx_microcred.credentials.recipient import hashed_email_identity
    from openedx_microcred.credentials.statuslist import status_entry
    from openedx_microcred.definitions import parse_program

    xml = PROGRAM_XML.read_bytes()
    definition = parse_program(xml)
    evidence = []
    for number, (path, node) in enumerate(rules.iter_nodes(definition.requirements)):
        if isinstance(node, rules.CourseLeaf):
            achieved = ISSUED - timedelta(days=200 - 9 * number)
            evidence.append(rules.Evidence(path, "course", node.key, node.credits, achieved,
                                           round(0.78 + 0.013 * (number % 15), 3)))
    if private_key is None:
        private_key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    public_key = private_key.public_key()
    unsigned = build_achievement_credential(
        credential_id=f"{LMS}/microcred/credentials/{CREDENTIAL_UUID}.jsonld",
        achievement_id=signing.achievement_id("program", f"{definition.id}:v1"),
        definition=definition,
        issuer=IssuerProfile.from_definition(definition, did),
        recipient=hashed_email_identity(LEARNER_EMAIL, SALT),
        valid_from=ISSUED,
        valid_until=valid_until_for(definition, ISSUED),
        credits_earned=sum((item.credits for item in evidence), Decimal(0)),
        activity_end_date=max(item.achieved_at for item in evidence),
        status=status_entry(list_credential_url=f"{LMS}/microcred/status/{ORG}-1", index=4242),
        evidence=evidence,
        version="1",
    )
    return Sample(
        unsigned=unsigned, private_key=private_key, did=did,
        verification_method=verification_method_id(did, public_key),
        did_document=did_document(did, [public_key]), courses=len(evidence),
        program_xml=xml, evidence=tuple(evidence),
    )
