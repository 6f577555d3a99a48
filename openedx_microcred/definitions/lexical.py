"""The lexical forms of values in programme XML: how text is read and how numbers are written."""
from __future__ import annotations

import re
from decimal import Decimal

# XML whitespace only (as xs:token collapses it): a no-break or ideographic space is content.
_XML_WHITESPACE = re.compile(r"[ \t\r\n]+")


def collapse(text: str) -> str:
    """``text`` stripped, with every run of XML whitespace replaced by one space."""
    return _XML_WHITESPACE.sub(" ", text).strip(" ")


def format_decimal(value: Decimal) -> str:
    """The canonical form of a non-negative decimal: ``3.125``, ``2``, ``0.5``, ``100``.

    Exact whatever the decimal context (``Decimal.normalize`` would round to its precision).
    """
    if value == 0:
        return "0"  # also for Decimal("-0") and "0.000"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_float(value: float) -> str:
    """A float as a plain decimal that reads back as the same float (never ``1e-05``)."""
    return format_decimal(Decimal(repr(value)))
