"""
Base classes every v1 view derives from: Open edX's authentication, ``IsAuthenticated``,
edx-drf-extensions pagination, the OpenAPI schema generator and the shared error handler.

Subclasses add object permissions (their own ``permissions.py``) and serializers; they never
change authentication, so every endpoint accepts the same credentials (JWT header or cookie,
LMS session, and the LMS's OAuth2 bearer tokens inside the platform).
"""
from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from edx_rest_framework_extensions.paginators import DefaultPagination
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from ... import platform
from .errors import exception_handler
from .renderers import BoundedJSONParser


class _Conventions:
    """What every v1 view shares (a mixin so APIView and GenericAPIView both get it)."""

    authentication_classes = platform.api_authentication_classes()
    permission_classes: tuple = (IsAuthenticated,)
    # JSON bodies of bounded size and nesting on every endpoint (views taking XML add theirs)
    parser_classes: tuple = (BoundedJSONParser,)
    schema = AutoSchema()

    def get_exception_handler(self):
        return exception_handler


class MicrocredAPIView(_Conventions, APIView):
    """A v1 endpoint that is not a paginated list."""


class MicrocredGenericAPIView(_Conventions, GenericAPIView):
    """A v1 endpoint with a serializer and, for lists, edx-drf-extensions ``DefaultPagination``
    (``?page=`` and ``?page_size=``; ``{"count", "num_pages", "current_page", "start", "next",
    "previous", "results"}``)."""

    pagination_class = DefaultPagination
