"""Permissions of the v1 endpoints beyond the base's ``IsAuthenticated``."""
from edx_rest_framework_extensions.permissions import NotJwtRestrictedApplication
from rest_framework.permissions import IsAuthenticated

#: A learner's own data (``me/…``): a signed-in user, and never through a JWT of a restricted
#: application (a client-credentials token acting for an unknown user), as edx-platform guards
#: learner data. Objects are looked up within the requesting learner's own rows, so another
#: learner's id is a 404, not a 403 (its existence is not disclosed).
LEARNER_DATA = (IsAuthenticated, NotJwtRestrictedApplication)

__all__ = ["LEARNER_DATA"]
