"""Shared pieces of the document-builder tests: the demo programmes, an issuer, signing, the
OB 3.0 JSON Schema validator (offline) and the node status/verify script."""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft201909Validator, FormatChecker
from jsonschema_specifications import REGISTRY as METASCHEMAS
from referencing import Resource

from openedx_microcred import rules
from openedx_microcred.credentials.achievement import IssuerProfile
from openedx_microcred.credentials.did import did_document, verification_method_id
from openedx_microcred.credentials.documents import (
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL,
    bundled_contexts,
    bundled_document,
)
from openedx_microcred.credentials.proof import sign
from openedx_microcred.credentials.recipient import hashed_email_identity
from openedx_microcred.definitions import ProgramDefinition, parse_program

DEMO_DIR = Path(__file__).resolve().parents[2] / "openedx_microcred" / "demo" / "programs"
DEMO_IDS = tuple(sorted(path.stem for path in DEMO_DIR.glob("*.xml")))

LMS = "https://lms.example.edu"
ISSUER_DID = "did:web:lms.example.edu:microcred:issuers:DemoX"
# Issued in the past and valid far into the future: the reference verifier checks both
# against the clock.
ISSUED = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
FAR_FUTURE = datetime(2099, 1, 1, tzinfo=UTC)
LEARNER_EMAIL = "Li.Hua@Example.EDU"
LEARNER_USERNAME = "lihua2025"
SALT = "6f1c2a9be04d4a5f8c3d2e1b0a9f8e7d"


@functools.cache
def demo_definition(program_id: str) -> ProgramDefinition:
    return parse_program((DEMO_DIR / f"{program_id}.xml").read_bytes())


def demo_titles() -> dict[str, str]:
    """Every demo programme's title by id (for stacked-programme narratives)."""
    return {program_id: demo_definition(program_id).title for program_id in DEMO_IDS}


def issuer_for(definition: ProgramDefinition, did: str = ISSUER_DID) -> IssuerProfile:
    return IssuerProfile.from_definition(definition, did)


def recipient(salt: str = SALT) -> dict[str, Any]:
    return hashed_email_identity(LEARNER_EMAIL, salt)


def credential_url(name: str) -> str:
    return f"{LMS}/microcred/credentials/{name}.jsonld"


def achievement_url(program_id: str, version: int = 1) -> str:
    return f"{LMS}/microcred/programs/{program_id}/versions/{version}"


def course_achievement_url(course_key: str) -> str:
    return f"{LMS}/microcred/courses/{course_key}"


def status_list_url(list_id: int = 1) -> str:
    return f"{LMS}/microcred/status/{list_id}"


def method_of(key: Ed25519PrivateKey, did: str = ISSUER_DID) -> str:
    return verification_method_id(did, key.public_key())


def signer(key: Ed25519PrivateKey, did: str = ISSUER_DID) -> Callable[[dict], dict]:
    def sign_document(document: dict[str, Any]) -> dict[str, Any]:
        return sign(document, private_key=key, verification_method=method_of(key, did),
                    created=ISSUED)
    return sign_document


def did_documents(key: Ed25519PrivateKey, did: str = ISSUER_DID) -> dict[str, Any]:
    return {did: did_document(did, [key.public_key()])}


def all_evidence(definition: ProgramDefinition, when: datetime = ISSUED,
                 grade: float | None = 0.9) -> tuple[rules.Evidence, ...]:
    """Evidence that satisfies every leaf of ``definition`` (one result per leaf)."""
    items = []
    for path, node in rules.iter_nodes(definition.requirements):
        if isinstance(node, rules.CourseLeaf):
            items.append(rules.Evidence(path, "course", node.key, node.credits, when, grade))
        elif isinstance(node, rules.ProgramLeaf):
            items.append(rules.Evidence(path, "program", node.ref, node.credits, when))
        elif isinstance(node, rules.ExternalLeaf):
            items.append(rules.Evidence(path, "external", node.id, node.credits, when))
    return tuple(items)


def credits_of(evidence: Sequence[rules.Evidence]) -> Decimal:
    return sum((item.credits for item in evidence), Decimal(0))


# --- OB 3.0 JSON Schema ---------------------------------------------------------------------

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


@functools.cache
def achievement_schema_validator() -> Draft201909Validator:
    """The bundled OB 3.0 AchievementCredential schema (draft 2019-09), resolved offline: its
    own ``$id``, the URL credentials cite and the bundled metaschemas, nothing else."""
    schema = bundled_document(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL)
    Draft201909Validator.check_schema(schema)
    resource = Resource.from_contents(schema)
    registry = METASCHEMAS.with_resources(
        [(schema["$id"], resource), (OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL, resource)])
    checker = FormatChecker()
    checker.checks("date-time")(_is_date_time)
    return Draft201909Validator(schema, registry=registry, format_checker=checker)


def schema_errors(document: Mapping[str, Any]) -> list[str]:
    """Every OB 3.0 schema violation of ``document`` ("path: message"), none when valid."""
    validator = achievement_schema_validator()
    return sorted(f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                  for error in validator.iter_errors(document))


# --- node -----------------------------------------------------------------------------------

def run_status_script(node, *, credentials: Sequence[Mapping[str, Any]] = (),
                      documents: Mapping[str, Any] | None = None,
                      encode: Sequence[Mapping[str, Any]] = (),
                      decode: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """One ``node status.mjs`` run: verification (with status checks) of ``credentials``,
    and list encodings/decodings by the reference implementation."""
    payload = {
        "credentials": list(credentials),
        "documents": {**bundled_contexts(), **(documents or {})},
        "encode": list(encode),
        "decode": list(decode),
    }
    return json.loads(node.run("status.mjs", payload))
