"""Definitions over HTTP: parsers that read at most a bounded body (the XML one hands the raw
document to the hardened importer), and a renderer that sends canonical XML as is."""
from __future__ import annotations

import io

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.renderers import BaseRenderer

from ...conf import setting

# The JSON form spells out every member: allow it more room than the XML it stands for.
JSON_ALLOWANCE = 4
# Arrays and objects within one another; a requirement group takes two levels (its object and
# its "children" array), so this allows 30 levels of groups, far beyond any real programme.
MAX_JSON_DEPTH = 64


def json_depth(data) -> int:
    """How many arrays and objects are nested in ``data`` at the deepest (iterative)."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_JSON_DEPTH:
            pending.extend((child, depth + 1) for child in children)
    return deepest


def read_bounded(stream, limit: int) -> bytes:
    """The body, refused (400) beyond ``limit`` bytes before more is read into memory."""
    data = stream.read(limit + 1) if stream is not None else b""
    if len(data) > limit:
        raise ParseError(f"the body is larger than the limit of {limit} bytes")
    return data


class XMLDefinitionParser(BaseParser):
    """``application/xml`` bodies as raw bytes: only ``definitions`` parses XML (hardened)."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return read_bounded(stream, setting("MICROCRED_MAX_DEFINITION_BYTES"))


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser on a body of bounded size and nesting (a deeply nested document
    would exhaust the recursion of the decoder and of the JSON Schema validator)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = setting("MICROCRED_MAX_DEFINITION_BYTES") * JSON_ALLOWANCE
        try:
            data = super().parse(io.BytesIO(read_bounded(stream, limit)), media_type,
                                 parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep") from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise ParseError(f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
        return data


class TextXMLDefinitionParser(XMLDefinitionParser):
    """The same for ``text/xml``."""

    media_type = "text/xml"


class XMLDefinitionRenderer(BaseRenderer):
    """Renders a string (the canonical XML) unchanged; anything else (an error body) as text."""

    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, str):
            return data.encode("utf-8")
        if isinstance(data, bytes):
            return data
        return _error_xml(data)


def _error_xml(data) -> bytes:
    from xml.sax.saxutils import escape

    errors = (data or {}).get("errors", []) if isinstance(data, dict) else []
    items = "".join(
        f'<error line="{e.get("line") or ""}" path="{escape(str(e.get("path") or ""))}">'
        f'{escape(str(e.get("message", "")))}</error>' for e in errors)
    detail = escape(str((data or {}).get("detail", ""))) if isinstance(data, dict) else ""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<errors detail="{detail}">{items}</errors>\n' \
        .encode()
