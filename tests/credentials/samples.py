"""Credential-shaped documents for the signing tests: one Open Badges 3.0 credential and a
generated corpus that stresses canonicalization (Unicode, numbers, long lists, nesting)."""
from __future__ import annotations

import copy
import random
from typing import Any

from openedx_microcred.credentials.documents import (
    CREDENTIALS_V2_URL,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL,
    OB_EXTENSIONS_URL,
    OB_V3P0_URL,
)

OB_CONTEXT = [CREDENTIALS_V2_URL, OB_V3P0_URL, OB_EXTENSIONS_URL]


def achievement_credential(issuer: str, **subject_overrides: Any) -> dict[str, Any]:
    """A minimal OB 3.0 AchievementCredential for a micro-credential, issued by ``issuer``."""
    return {
        "@context": list(OB_CONTEXT),
        "id": "urn:uuid:3f1d2c4e-5b6a-4c8d-9e0f-a1b2c3d4e5f6",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data Science Foundations",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Example University"},
        "validFrom": "2024-05-01T12:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash":
                    "sha256$5f1c0e1b7c2e0a1c9d3f4b6a8e7d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d",
                "salt": "3c8f0a",
            }],
            "creditsEarned": 3.5,
            "achievement": {
                "id": "https://lms.example.edu/microcred/programs/data-science",
                "type": ["Achievement"],
                "achievementType": "MicroCredential",
                "name": "Data Science Foundations",
                "description": "Three courses in statistics, Python and machine learning.",
                "criteria": {"narrative": "Pass 2 of: Statistics 101, Python for Data; and ML 1."},
                "creditsAvailable": 3.5,
                "resultDescription": [{
                    "id": "urn:uuid:0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a",
                    "type": ["ResultDescription"],
                    "name": "Final grade",
                    "resultType": "Percent",
                }],
            },
            **subject_overrides,
        },
        "credentialSchema": [{
            "id": OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL,
            "type": "1EdTechJsonSchemaValidator2019",
        }],
    }


# Names chosen to hit every serialization difference between Python and JavaScript: CJK,
# right-to-left, combining marks, astral characters next to U+FF01 (UTF-16 vs code point
# order), every control character class, quotes and backslashes.
NAMES = [
    "数据科学基础微证书", "機械学習の基礎", "شهادة علم البيانات", "Ŝtatistiko kaj Pythono",
    "Cafe\u0301 & Crème brûlée", "🎓 Graduate 🎓", "！Fullwidth", "😀 before ！", "𝔐𝔞𝔱𝔥",
    "tab\there", "new\nline", "carriage\rreturn", "bell\x07 backspace\b formfeed\f",
    "nul\x00 unit\x1f del\x7f", 'quote " and \\ backslash', "zero\u200bwidth", "",
    "ASCII only", "Ελληνικά", "Русский курс", "עברית",
]
NUMBERS = [
    0.1, 0.2, 0.30000000000000004, 2.5, 3.0, -1.75, 1e-6, 1.5e-7, 123456789.125,
    12345678901.140625, 12345678901.234375, 1e21, 2.5e22, 0.000123, 99.99, 1 / 3, 4,
    0, -0.0, 2**53 - 1, 7.0e-5, 1.7976931348623157e308,
]


def corpus(count: int, *, seed: int = 20240501) -> list[dict[str, Any]]:
    """``count`` deterministic credential-like documents, the first few covering the pools."""
    rng = random.Random(seed)
    return [_corpus_document(rng, index) for index in range(count)]


def _corpus_document(rng: random.Random, index: int) -> dict[str, Any]:
    document = achievement_credential(f"did:example:issuer{index}")
    subject = document["credentialSubject"]
    achievement = subject["achievement"]
    document["id"] = f"urn:uuid:00000000-0000-4000-8000-{index:012d}"
    document["name"] = NAMES[index % len(NAMES)]
    achievement["name"] = rng.choice(NAMES) + rng.choice(NAMES)
    achievement["description"] = " ".join(rng.sample(NAMES, 5))
    achievement["tag"] = [rng.choice(NAMES) for _ in range(rng.randint(0, 120))]
    subject["creditsEarned"] = NUMBERS[index % len(NUMBERS)]
    achievement["creditsAvailable"] = round(rng.uniform(0, 60), rng.randint(0, 6))
    achievement["resultDescription"] = _result_descriptions(rng)
    achievement["alignment"] = [_alignment(rng, n) for n in range(rng.randint(0, 30))]
    subject["result"] = [{"type": ["Result"], "value": str(rng.random())}
                         for _ in range(rng.randint(0, 5))]
    return document


def _result_descriptions(rng: random.Random) -> list[dict[str, Any]]:
    described = [{"type": ["ResultDescription"], "name": rng.choice(NAMES),
                  "resultType": "Percent", "valueMin": "0", "valueMax": "100"}
                 for _ in range(rng.randint(0, 40))]
    # Identical blank nodes force the N-degree hashing path of the canonicalization.
    return described + [copy.deepcopy(d) for d in described[: rng.randint(0, 3)]]


def _alignment(rng: random.Random, number: int) -> dict[str, Any]:
    return {
        "type": ["Alignment"],
        "targetName": rng.choice(NAMES),
        "targetUrl": f"https://framework.example/skills/{number}?q={rng.choice(NAMES)}",
        "targetCode": f"S{number}",
        "targetFramework": rng.choice(NAMES),
    }
