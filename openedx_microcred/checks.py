"""
Django system checks (``manage.py check``, run at start-up by ``runserver`` and ``migrate``;
``check --deploy`` before a release): every MICROCRED_* setting is validated here once.

Messages name the setting and the shape it needs, never its value: some settings hold keys,
and check output reaches terminals, CI logs and deployment dashboards.
"""
from __future__ import annotations

from django.conf import settings
from django.core import checks

from . import conf
from .settings.common import DEFAULTS

#: Ids (``microcred.E001`` …) are part of the operator documentation (docs/keys.rst).
INVALID_SETTING = "microcred.E001"
KEYS_AS_STRING = "microcred.E002"
PROXY_COUNT = "microcred.E003"
DERIVED_KEY = "microcred.W001"
UNVERIFIED_JWT = "microcred.E004"


@checks.register("microcred")
def check_settings(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """One error per invalid MICROCRED_* setting."""
    errors: list[checks.CheckMessage] = []
    for name in conf.names():
        value = getattr(settings, name, None)
        if value is None and not hasattr(settings, name):
            continue  # the default applies
        if name == "MICROCRED_KEY_ENCRYPTION_KEYS" and isinstance(value, (str, bytes)):
            errors.append(checks.Error(
                f"{name} is a single string; it must be a list of keys.",
                hint="Write it as a list (YAML: a '- key' line per key), the encrypting key "
                     "first. Rotate the key now if this value was shared in a log or ticket.",
                id=KEYS_AS_STRING))
            continue
        problem = conf.invalid(name, value)
        if problem:
            errors.append(checks.Error(problem, id=INVALID_SETTING))
    errors += _check_proxy_count()
    return errors


def _check_proxy_count() -> list[checks.CheckMessage]:
    # The defaults from settings.common (conf.setting would raise; a check reports instead)
    source = getattr(settings, "MICROCRED_CLIENT_ADDRESS", DEFAULTS["MICROCRED_CLIENT_ADDRESS"])
    count = getattr(settings, "MICROCRED_TRUSTED_PROXY_COUNT",
                    DEFAULTS["MICROCRED_TRUSTED_PROXY_COUNT"])
    if source == "X-Forwarded-For" and isinstance(count, int) and count < 1:
        return [checks.Error(
            "MICROCRED_TRUSTED_PROXY_COUNT must be at least 1 when MICROCRED_CLIENT_ADDRESS is "
            '"X-Forwarded-For".',
            hint="Count the reverse proxies in front of the LMS that append to X-Forwarded-For.",
            id=PROXY_COUNT)]
    return []


@checks.register("microcred", deploy=True)
def check_encryption_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Production should not derive the encryption key from SECRET_KEY."""
    keys = getattr(settings, "MICROCRED_KEY_ENCRYPTION_KEYS", None)
    if keys:
        return []
    return [checks.Warning(
        "MICROCRED_KEY_ENCRYPTION_KEYS is not set: issuer signing keys and registry secrets are "
        "encrypted with a key derived from SECRET_KEY.",
        hint="Set MICROCRED_KEY_ENCRYPTION_KEYS to a list holding a new Fernet key, then run "
             "'manage.py microcred_reencrypt'. A SECRET_KEY rotation then needs no care, and "
             "a leaked SECRET_KEY does not open the stored secrets.",
        id=DERIVED_KEY)]


@checks.register("microcred")
def check_jwt_verification(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The REST API's JWTs must be verified against the LMS's public keys.

    edx-drf-extensions (10.x) first tries the keys of ``JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"]``
    and, when that set is empty, takes the token as verified without checking its signature:
    any forged JWT would then authenticate. The LMS and Studio always configure the set.
    """
    jwt_auth = getattr(settings, "JWT_AUTH", None) or {}
    if jwt_auth.get("JWT_PUBLIC_SIGNING_JWK_SET"):
        return []
    return [checks.Error(
        'JWT_AUTH["JWT_PUBLIC_SIGNING_JWK_SET"] is empty: the REST API would accept JWTs '
        "without checking their signature.",
        hint="Set it to the LMS's public JWK set (edx-platform and Tutor do), or remove "
             "JwtAuthentication from the host's authentication.",
        id=UNVERIFIED_JWT)]
