"""The sandbox's JWT signing key pair, in the shape of the LMS's ``JWT_AUTH`` settings."""
from __future__ import annotations

import json
from typing import Any

from jwt.algorithms import RSAAlgorithm


def jwt_keys(private_jwk: str | None) -> dict[str, str]:
    """``JWT_PRIVATE_SIGNING_JWK`` and ``JWT_PUBLIC_SIGNING_JWK_SET`` (JSON strings) from a
    private RSA JWK, or from a new 2048-bit key when ``private_jwk`` is empty."""
    private: Any
    if private_jwk:
        private = RSAAlgorithm.from_jwk(private_jwk)
    else:
        from cryptography.hazmat.primitives.asymmetric import rsa

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_dict = json.loads(RSAAlgorithm.to_jwk(private))
    public_dict = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    private_dict["kid"] = public_dict["kid"] = "sandbox"
    return {"JWT_PRIVATE_SIGNING_JWK": json.dumps(private_dict),
            "JWT_PUBLIC_SIGNING_JWK_SET": json.dumps({"keys": [public_dict]})}
