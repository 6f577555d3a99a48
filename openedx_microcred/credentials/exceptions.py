"""Errors raised by the credential signing core."""
from __future__ import annotations


class CredentialError(Exception):
    """Base class of every error raised by ``openedx_microcred.credentials``."""


class DocumentNotBundledError(CredentialError):
    """A JSON-LD processor asked for a document that is neither bundled nor supplied.

    Raised instead of fetching it: signing and verification never touch the network.
    ``url`` is the document that was asked for.
    """

    def __init__(self, url: str):
        self.url = url
        super().__init__(
            f"refusing to load {url!r}: only bundled contexts and documents supplied by the "
            "caller are served (no network access)"
        )


class KeyFormatError(CredentialError, ValueError):
    """A multibase/multicodec key or a did:key identifier is malformed or not Ed25519."""


class CanonicalizationError(CredentialError, ValueError):
    """A document cannot be canonicalized safely.

    Raised for documents a standard verifier would refuse or whose signature would not cover
    every value: terms missing from the ``@context`` (they would be silently dropped), relative
    IRIs, integers that JavaScript verifiers cannot represent exactly, unloadable contexts.
    """
