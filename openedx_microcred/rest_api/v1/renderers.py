"""The XML contract over HTTP: a parser that hands the raw document to the hardened importer,
and a renderer that sends canonical XML as is."""
from __future__ import annotations

from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer


class XMLDefinitionParser(BaseParser):
    """``application/xml`` bodies as raw bytes: only ``definitions`` parses XML (hardened)."""

    media_type = "application/xml"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        return stream.read()


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
