"""
Hardened loading of untrusted XML into an lxml tree.

DO NOT parse a programme definition with any other parser, nor loosen these options: imports come
from course teams and from files uploaded to Studio, so the parser must never read a DTD, expand
an entity, touch the network or build an unbounded tree. Any DOCTYPE is rejected outright, because
a DTD is the vehicle of XXE and of "billion laughs" attacks and a programme definition never needs
one: a scan of the prolog finds it before libxml2 sees the document, and a check after parsing
(which expands nothing) catches one in an encoding the scan cannot read.
"""
from __future__ import annotations

import codecs
import re

from lxml import etree

from .errors import ProgramDefinitionError

MAX_BYTES = 1024 * 1024

# The XML prolog (declaration, comments, processing instructions, whitespace) and then a DOCTYPE.
# Every repetition is unambiguous, so a failed match backtracks in linear time.
_PROLOG_DOCTYPE = re.compile(
    r"\A\ufeff?(?:[ \t\r\n]|<\?(?:[^?]|\?(?!>))*\?>|<!--(?:[^-]|-(?!->))*-->)*<!DOCTYPE")
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_LOCATION = re.compile(r", line \d+, column \d+$")
_DOCTYPE_MESSAGE = "a DOCTYPE is not allowed (programme definitions use no DTD or entities)"


def load_xml(xml: bytes | str, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """Parse ``xml`` into its root element with the hardened parser.

    Raises ``ProgramDefinitionError`` if ``xml`` is larger than ``max_bytes`` (UTF-8 bytes for a
    ``str``; checked before parsing), has a DOCTYPE, or is not well-formed XML.
    """
    data = _utf8(xml) if isinstance(xml, str) else bytes(xml)
    if len(data) > max_bytes:
        raise ProgramDefinitionError(
            f"the definition is {len(data)} bytes, more than the limit of {max_bytes} bytes")
    _reject_doctype(xml if isinstance(xml, str) else _prolog_text(data))
    # A str was encoded to UTF-8 above, whatever its XML declaration says.
    parser = _parser(encoding="utf-8" if isinstance(xml, str) else None)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        message = _LOCATION.sub("", error.msg or "not well-formed")
        raise ProgramDefinitionError(f"malformed XML: {message}", line=error.lineno) from error
    if root.getroottree().docinfo.internalDTD is not None:  # an encoding the scan could not read
        raise ProgramDefinitionError(_DOCTYPE_MESSAGE, line=1)
    return root


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate: no XML document can hold it
        raise ProgramDefinitionError(
            "malformed XML: the text holds a lone surrogate, which is not Unicode",
            line=text.count("\n", 0, error.start) + 1) from None


def _parser(*, encoding: str | None) -> etree.XMLParser:
    # A new parser per call: lxml parsers keep state and are not safe to share across threads.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, dtd_validation=False, load_dtd=False,
        huge_tree=False, remove_comments=True, remove_pis=True, encoding=encoding,
    )


def _prolog_text(data: bytes) -> str:
    """Decode ``data`` well enough to find a DOCTYPE (ASCII-compatible unless it has a BOM)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    return data.decode("latin-1")


def _reject_doctype(text: str) -> None:
    found = _PROLOG_DOCTYPE.match(text) if "<!DOCTYPE" in text else None
    if found:
        raise ProgramDefinitionError(_DOCTYPE_MESSAGE, line=found.group().count("\n") + 1)
