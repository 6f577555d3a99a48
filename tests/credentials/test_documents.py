"""The bundled contexts and schema, and the offline document loader."""
from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from openedx_microcred.credentials.documents import (
    CONTEXTS,
    CREDENTIALS_V2_URL,
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL,
    OFFLINE_LOADER,
    SCHEMAS,
    OfflineDocumentLoader,
    bundled_contexts,
    bundled_document,
)
from openedx_microcred.credentials.exceptions import DocumentNotBundledError

# SHA-256 of the published files as vendored: a vendored file must never be edited, its URL
# promises its content (update the digest only together with a new published version).
DIGESTS = {
    "contexts/clr-v2p0-2.0.1.json":
        "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6",
    "contexts/credentials-v2.jsonld":
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    "contexts/data-integrity-v2.jsonld":
        "0f77743daf5b4e8fc067fc5ba5b21044283053aa717fc6b0219843bed3b00363",
    "contexts/did-v1.jsonld":
        "62c1054bf404d6dd3a4b26b64f830fd72095f6a26edc4469908c94351352ce5f",
    "contexts/multikey-v1.jsonld":
        "c5f3806f8286920573221938917988a18a4cc5a09e968d29649613c7a1c2b1f6",
    "contexts/ob-v3p0-3.0.3.json":
        "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    "contexts/ob-v3p0-extensions.json":
        "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3",
    "schemas/ob_v3p0_achievementcredential_schema.json":
        "859e405b592d93c3261fe899362f4128801140d4d20c01502a066b3540483d95",
}


def test_every_bundled_file_is_the_published_one():
    package = resources.files("openedx_microcred.credentials")
    assert sorted(DIGESTS) == sorted([*CONTEXTS.values(), *SCHEMAS.values()])
    for path, digest in DIGESTS.items():
        assert hashlib.sha256(package.joinpath(path).read_bytes()).hexdigest() == digest, path


def test_bundled_documents_parse_as_contexts_and_schema():
    assert all("@context" in document for document in bundled_contexts().values())
    schema = bundled_document(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL)
    assert schema["$schema"].startswith("https://json-schema.org/draft/2019-09/")


def test_bundled_document_returns_independent_copies():
    bundled_document(CREDENTIALS_V2_URL)["@context"].clear()
    assert bundled_document(CREDENTIALS_V2_URL)["@context"]


def test_loader_serves_bundled_contexts_as_cacheable_copies():
    remote = OFFLINE_LOADER(CREDENTIALS_V2_URL, {})
    assert remote["documentUrl"] == CREDENTIALS_V2_URL
    assert remote["tag"] == "static"  # pyld keeps the processed context for the process
    remote["document"].clear()
    assert OFFLINE_LOADER(CREDENTIALS_V2_URL, {})["document"] == bundled_document(
        CREDENTIALS_V2_URL)


@pytest.mark.parametrize("url", [
    "https://www.w3.org/2018/credentials/v1",
    "https://example.com/context.json",
    OB_ACHIEVEMENT_CREDENTIAL_SCHEMA_URL,  # a schema, not a JSON-LD context
    "file:///etc/passwd",
])
def test_loader_refuses_everything_else(url):
    with pytest.raises(DocumentNotBundledError, match="no network access"):
        OFFLINE_LOADER(url, {})


def test_loader_serves_caller_documents_uncached_but_never_instead_of_bundled_ones():
    did_document = {"@context": "https://www.w3.org/ns/did/v1", "id": "did:web:example.edu"}
    loader = OfflineDocumentLoader({"did:web:example.edu": did_document})
    remote = loader("did:web:example.edu", {})
    assert remote["document"] == did_document and remote["tag"] is None
    with pytest.raises(ValueError, match="cannot be replaced"):
        OfflineDocumentLoader({CREDENTIALS_V2_URL: {"@context": {}}})
