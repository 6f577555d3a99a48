"""
Hardened loading of untrusted XML into an lxml tree.

DO NOT parse a programme definition with any other parser, nor loosen these options: imports come
from course teams and from files uploaded to Studio, so the parser must never read a DTD, expand
an entity, touch the network or build an unbounded tree. Any DOCTYPE is rejected outright, because
a DTD is the vehicle of XXE and of "billion laughs" attacks and a programme definition never needs
one: a scan of the prolog finds it before libxml2 sees the document, and a check after parsing
(which expands nothing) catches one in an encoding the scan cannot read. XInclude elements are
refused too (lxml never processes them unless asked, and a definition never needs one).

DO NOT scan the prolog with a regular expression that repeats a group of alternatives: Python's
``re`` keeps backtracking state for every repetition, so such a pattern peaked at 64-120 times
the input's size (117 MiB for a 1 MiB prolog of comments). The scan below walks the prolog with
``str.find`` in linear time and constant extra memory.
"""
from __future__ import annotations

import codecs
import re
from typing import cast

from lxml import etree

from .errors import ProgramDefinitionError

MAX_BYTES = 1024 * 1024

_WHITESPACE = re.compile(r"[ \t\r\n]*")  # one character class: no backtracking state
XINCLUDE_NAMESPACES = frozenset({"http://www.w3.org/2001/XInclude",
                                 "http://www.w3.org/2003/XInclude"})
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be"))
_LOCATION = re.compile(r", line \d+, column \d+$")
_DOCTYPE_MESSAGE = "a DOCTYPE is not allowed (programme definitions use no DTD or entities)"
_XINCLUDE_MESSAGE = ("XInclude is not allowed: <{tag}> would pull in another document "
                     "(a programme definition is one self-contained file)")


def load_xml(xml: bytes | str, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """Parse ``xml`` into its root element with the hardened parser.

    Raises ``ProgramDefinitionError`` if ``xml`` is larger than ``max_bytes`` (UTF-8 bytes for a
    ``str``; checked before parsing), has a DOCTYPE or an XInclude element, or is not well-formed
    XML. Work and memory are proportional to the input's size.
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
        if message.startswith("Excessive depth in document"):  # libxml2's own nesting limit
            message = "elements are nested more than 256 levels deep"
        raise ProgramDefinitionError(f"malformed XML: {message}", line=error.lineno) from error
    if root.getroottree().docinfo.internalDTD is not None:  # an encoding the scan could not read
        raise ProgramDefinitionError(_DOCTYPE_MESSAGE, line=1)
    _reject_xinclude(root)
    return root


def _reject_xinclude(root: etree._Element) -> None:
    for element in root.iter(etree.Element):
        namespace = etree.QName(element).namespace
        if namespace in XINCLUDE_NAMESPACES:
            tag = f"{element.prefix or 'xi'}:{etree.QName(element).localname}"
            raise ProgramDefinitionError(_XINCLUDE_MESSAGE.format(tag=tag),
                                         line=cast(int, element.sourceline))


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
    found = _doctype_offset(text) if "<!DOCTYPE" in text else None
    if found is not None:
        raise ProgramDefinitionError(_DOCTYPE_MESSAGE, line=text.count("\n", 0, found) + 1)


def _doctype_offset(text: str) -> int | None:
    """Where a DOCTYPE starts if only prolog markup (a BOM, whitespace, the XML declaration,
    processing instructions, comments) comes before it, else ``None``.

    Linear in ``len(text)``, constant extra memory: each step finds the end of one construct.
    """
    position = 1 if text.startswith("\ufeff") else 0
    while True:
        position = _WHITESPACE.match(text, position).end()  # type: ignore[union-attr]
        if text.startswith("<!DOCTYPE", position):
            return position
        if text.startswith("<?", position):
            opening, closing = "<?", "?>"
        elif text.startswith("<!--", position):
            opening, closing = "<!--", "-->"
        else:
            return None
        end = text.find(closing, position + len(opening))
        if end < 0:
            return None
        position = end + len(closing)
