"""
Domain errors → HTTP responses, in one place (the exception handler of every v1 view).

Every error body has the shape ``{"detail": str, "errors": [{"line": int | None,
"path": str | None, "message": str}, …]}``: ``errors`` lists each problem found (all of a
definition's validation errors at once), ``detail`` sums them up.
"""
from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ... import api

# Subclasses map through their nearest listed base class (the MRO is walked in order).
ERROR_STATUS: dict[type[Exception], int] = {
    api.ProgramDefinitionError: status.HTTP_400_BAD_REQUEST,
    api.ProgramNotFound: status.HTTP_404_NOT_FOUND,
    api.CredentialNotFound: status.HTTP_404_NOT_FOUND,
    api.UnknownLearner: status.HTTP_404_NOT_FOUND,
    # authoring: a stale write or a state that forbids the action is a conflict
    api.StaleRevision: status.HTTP_409_CONFLICT,
    api.ProgramStateError: status.HTTP_409_CONFLICT,
    api.ProgramRetired: status.HTTP_409_CONFLICT,
    api.OrgAccessDenied: status.HTTP_403_FORBIDDEN,
    api.CourseAccessDenied: status.HTTP_403_FORBIDDEN,
    # Django refuses a body above DATA_UPLOAD_MAX_MEMORY_SIZE while the view reads it
    RequestDataTooBig: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
}


# What a 404 names (the error itself carries only the id that was looked for).
NOT_FOUND = {
    api.ProgramNotFound: "No programme, version or publish job",
    api.CredentialNotFound: "No credential",
    api.UnknownLearner: "No learner",
}


def problems(exc: Exception) -> list[dict]:
    """The individual problems an error carries, as ``{"line", "path", "message"}`` dicts.

    An error listing several problems has an ``errors`` sequence of objects with ``message``
    and optional ``line`` / ``path``; any other error is one problem (its own ``message``,
    ``line`` and ``path`` attributes when it has them, else its text).
    """
    return [{"line": getattr(item, "line", None), "path": getattr(item, "path", None),
             "message": str(getattr(item, "message", None) or item)}
            for item in (getattr(exc, "errors", None) or [exc])]


def status_for(exc: Exception) -> int | None:
    """The HTTP status of a domain error, or ``None`` when it is not a domain error."""
    for cls in type(exc).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return None


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler for its own exceptions (401, 403, 404, 405, validation), ours for domain
    errors; anything else propagates as a server error."""
    code = status_for(exc)
    if code is not None:
        found = problems(exc)
        label = next((NOT_FOUND[cls] for cls in type(exc).__mro__ if cls in NOT_FOUND), None)
        if label:
            found = [{**problem, "message": f"{label} matches {problem['message']!r}."}
                     for problem in found]
        detail = found[0]["message"] if len(found) == 1 else f"{len(found)} problems found."
        return Response({"detail": detail, "errors": found}, status=code)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "errors" not in response.data:
        response.data = _with_errors(response.data)
    return response


def _with_errors(data: dict) -> dict:
    """DRF's ``{"detail": …}`` or ``{"field": ["message"]}`` in the shared error shape."""
    if set(data) == {"detail"}:
        return {"detail": str(data["detail"]),
                "errors": [{"line": None, "path": None, "message": str(data["detail"])}]}
    found = [{"line": None, "path": field, "message": str(message)}
             for field, messages in data.items()
             for message in (messages if isinstance(messages, list) else [messages])]
    return {"detail": found[0]["message"] if len(found) == 1 else f"{len(found)} problems found.",
            "errors": found}
