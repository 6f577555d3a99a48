"""
RDF Dataset Canonicalization (RDFC-1.0, a.k.a. URDNA2015) of JSON-LD documents, byte-compatible
with the JavaScript stack (jsonld.js + rdf-canonize) that standard verifiers run.

pyld does the JSON-LD expansion and the canonical labelling of blank nodes; this module corrects
the four places where pyld 3.3's output differs from rdf-canonize's, each of which would make a
JavaScript verifier compute a different hash and reject a valid signature:

- numbers: jsonld.js types a number as xsd:double when ``String(n)`` has a ``.`` (or n >= 1e21),
  so ``1e-7`` is the integer ``0``; its mantissa is ``toExponential(15)``, which rounds half up
  where Python's formatting rounds half to even;
- literal escaping: rdf-canonize escapes every control character (``\\b``, ``\\f``,
  ``\\u0001``…), pyld only tab, newline and carriage return;
- IRI escaping: rdf-canonize escapes ``<>"{}|^`\\`` in IRIs, pyld writes them raw;
- ordering: JavaScript sorts N-Quads by UTF-16 code units, Python by code points (they differ
  when an astral character meets one in U+E000–U+FFFF).

It also refuses what jsonld.js "safe mode" (used by every Data Integrity verifier) refuses and
pyld silently drops or rewrites: a property without a term definition, a relative IRI, a number
JavaScript reads differently. Such data would not be covered by the signature, or not as written.

DO NOT canonicalize with ``pyld.jsonld.normalize`` directly: it defaults to URGNA2012, fetches
contexts over the network, and has the differences above.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeGuard

from pyld.canon import URDNA2015
from pyld.jsonld import JsonLdError, JsonLdProcessor

from .documents import OFFLINE_LOADER
from .exceptions import CanonicalizationError, DocumentNotBundledError

__all__ = ["canonize", "canonize_dataset", "to_dataset"]

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_DOUBLE = XSD + "double"
XSD_INTEGER = XSD + "integer"
XSD_STRING = XSD + "string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# JavaScript reads JSON numbers as doubles: larger integers would be signed with one value and
# verified with another.
MAX_SAFE_INTEGER = 2**53 - 1

_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+\-.]*|_):[^\s]*$")
_LITERAL_SPECIALS = re.compile(r'[\x00-\x1f\x7f"\\]')
_IRI_SPECIALS = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"',
          "\\": "\\\\"}


def canonize(document: Mapping[str, Any], *, document_loader: Callable | None = None) -> str:
    """The canonical N-Quads of a JSON-LD ``document``, as rdf-canonize writes them.

    Contexts come from ``document_loader`` (default: the bundled contexts only). Raises
    ``CanonicalizationError`` when the document would lose data or be rejected by a
    safe-mode verifier, ``DocumentNotBundledError`` for a context the loader does not serve.
    """
    dataset = to_dataset(document, document_loader=document_loader)
    try:
        return canonize_dataset(dataset)
    except UnicodeEncodeError as error:  # a lone surrogate ("\ud800") has no UTF-8 form
        raise CanonicalizationError(f"not valid Unicode: {error}") from error


def to_dataset(document: Mapping[str, Any], *, document_loader: Callable | None = None) -> dict:
    """The RDF dataset (pyld's representation) of a JSON-LD ``document``; errors as ``canonize``."""
    options = {
        "documentLoader": document_loader or OFFLINE_LOADER,
        "base": None,  # "" would resolve relative IRIs against pyld's example.org base
        "rdfDirection": "i18n-datatype",
        "produceGeneralizedRdf": False,
    }
    try:
        return _StrictProcessor().to_rdf(dict(document), options)
    except JsonLdError as error:
        raise _unwrap(error) from error


def canonize_dataset(dataset: dict) -> str:
    """The canonical N-Quads of a dataset from ``to_dataset`` (which it relabels in place)."""
    canonicalizer = _Canonicalizer()
    # pyld issues the canonical labels (and writes N-Quads of its own, which are discarded).
    canonicalizer.main(dataset, {"format": "application/n-quads"})
    issued = canonicalizer.canonical_issuer.existing

    def label(value: str) -> str:
        return issued.get(value, value)  # pyld 3.3 has already relabelled the quads in place

    return _sorted_nquads(_serialize(quad, label) for quad in canonicalizer.quads)


class _StrictProcessor(JsonLdProcessor):
    """pyld's processor with jsonld.js's number typing, safe-mode refusals and a memo of
    processed contexts."""

    def __init__(self) -> None:
        super().__init__(on_property_dropped=_refuse_dropped_property)

    def _process_context(self, active_ctx, local_ctx, options, override_protected=False,
                         propagate=True, validate_scoped=True, cycles=None):
        key = _memo_key(active_ctx, local_ctx, options, cycles)
        key = key and (*key, override_protected, propagate, validate_scoped)
        if key in _PROCESSED_CONTEXTS:
            return _PROCESSED_CONTEXTS[key]
        processed = super()._process_context(active_ctx, local_ctx, options, override_protected,
                                             propagate, validate_scoped, cycles)
        if key:
            if len(_PROCESSED_CONTEXTS) >= _PROCESSED_CONTEXTS_LIMIT:
                _PROCESSED_CONTEXTS.clear()
            _PROCESSED_CONTEXTS[key] = processed
        return processed

    def _graph_to_rdf(self, graph, issuer, options):
        for subject in graph:
            _require_absolute(subject, "subject")
        return super()._graph_to_rdf(graph, issuer, options)

    def _object_to_rdf(self, item, issuer, triples, options):
        rdf_object = super()._object_to_rdf(item, issuer, triples, options)
        if rdf_object is None:  # pyld's way of dropping a relative IRI
            _require_absolute(item["@id"] if isinstance(item, dict) else item, "object")
        value = item.get("@value") if isinstance(item, dict) else None
        if _is_number(value) and item.get("@type") != "@json":
            rdf_object["value"], datatype = _number_literal(value, item.get("@type"))
            rdf_object["datatype"] = item.get("@type") or datatype
        return rdf_object


# pyld caches a processed context under the _uuid of the context it was applied to, but stamps a
# fresh _uuid on the clone it makes for every type-scoped context (VerifiableCredential's,
# AchievementSubject's…), so those are processed again for every document: most of the time of
# a signature. Active contexts are immutable once stamped (pyld's own caches rely on it), so the
# result of applying a context to one is memoized here, for the bundled contexts only (a
# caller's loader may serve anything under a URL).
_PROCESSED_CONTEXTS: dict[tuple, Any] = {}
_PROCESSED_CONTEXTS_LIMIT = 4096


def _memo_key(active_ctx, local_ctx, options, cycles) -> tuple | None:
    if options.get("documentLoader") is not OFFLINE_LOADER or cycles is not None:
        return None  # cycles is set only while a context is being defined (partial)
    uuid = active_ctx.get("_uuid")
    if uuid is None:
        return None
    if isinstance(local_ctx, str):
        return (uuid, local_ctx)
    # By content, not id(): a caller may mutate an inline context between two calls.
    return (uuid, json.dumps(local_ctx, sort_keys=True, default=dict))


class _Canonicalizer(URDNA2015):
    """pyld's URDNA2015 with rdf-canonize's serialization and ordering of N-Quads."""

    def hash_first_degree_quads(self, id_):
        # RDFC-1.0 §4.6: the quads mentioning the blank node, itself written _:a, others _:z.
        info = self.blank_node_info[id_]
        if "hash" not in info:
            def label(value: str) -> str:
                return "_:a" if value == id_ else "_:z"

            nquads = _sorted_nquads(_serialize(quad, label) for quad in info["quads"])
            info["hash"] = hashlib.sha256(nquads.encode("utf-8")).hexdigest()
        return info["hash"]


def _serialize(quad: dict, label: Callable[[str], str] | None = None) -> str:
    parts = [_term(quad["subject"], label), _term(quad["predicate"], label),
             _term(quad["object"], label)]
    if "name" in quad:
        parts.append(_term(quad["name"], label))
    return " ".join(parts) + " .\n"


def _term(term: dict, label: Callable[[str], str] | None) -> str:
    kind, value = term["type"], term["value"]
    if kind == "IRI":
        return f"<{_IRI_SPECIALS.sub(_uchar, value)}>"
    if kind == "blank node":
        return label(value) if label else value
    literal = '"' + _LITERAL_SPECIALS.sub(_escape_literal_char, value) + '"'
    datatype = term["datatype"]
    if datatype == RDF_LANGSTRING:
        return literal + (f"@{term['language']}" if term.get("language") else "")
    if datatype != XSD_STRING:
        return literal + f"^^<{_IRI_SPECIALS.sub(_uchar, datatype)}>"
    return literal


def _escape_literal_char(match: re.Match) -> str:
    return _ECHAR.get(match.group()) or _uchar(match)


def _uchar(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04X}"


def _sorted_nquads(lines: Iterable[str]) -> str:
    # JavaScript's Array.prototype.sort compares UTF-16 code units, as comparing UTF-16BE bytes
    # does; code point order (Python's) is the same for ASCII, the common case.
    lines = list(lines)
    if all(line.isascii() for line in lines):
        lines.sort()
    else:
        lines.sort(key=_utf16)
    return "".join(lines)


def _utf16(line: str) -> bytes:
    return line.encode("utf-16-be", "surrogatepass")


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_literal(value: int | float, datatype: str | None) -> tuple[str, str]:
    """The lexical form and default datatype jsonld.js gives a JSON number."""
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        raise CanonicalizationError(
            f"{value} is beyond ±2^53: JavaScript verifiers would read another number")
    if datatype == XSD_DOUBLE or _js_is_double(value):
        return _js_exponential(float(value)), XSD_DOUBLE
    if not float(value).is_integer():
        raise CanonicalizationError(
            f"{value!r} would be signed as the integer {int(value)} (jsonld.js types it by the "
            "absence of a '.' in its JavaScript spelling): write it as a string or a decimal")
    return str(int(value)), XSD_INTEGER


def _js_is_double(value: int | float) -> bool:
    # jsonld.js: String(value) contains "." or |value| >= 1e21. String() writes the shortest
    # round-trip digits d1..dk with value = 0.d1..dk × 10^n in fixed notation when
    # -6 < n <= 21 (so a fraction always shows a ".") and in exponent notation otherwise
    # (with a "." only when k > 1): 1.5e-7 is a double, 1e-7 an integer (0).
    if isinstance(value, int) or value.is_integer():
        return abs(value) >= 1e21
    shortest = Decimal(repr(value)).normalize()
    point = shortest.adjusted() + 1
    return -6 < point <= 21 or len(shortest.as_tuple().digits) > 1


def _js_exponential(value: float) -> str:
    # Number.prototype.toExponential(15) (16 significant digits, rounding half up from the
    # exact binary value), then jsonld.js's trimming: 2.5 -> "2.5E0", 1e21 -> "1.0E21".
    if value == 0:
        return "0.0E0"
    exact = Decimal(value)
    exponent = exact.adjusted()
    # quantize rounds once from the exact operand (scaleb would round to the context first).
    rounded = exact.quantize(Decimal(1).scaleb(exponent - 15), rounding=ROUND_HALF_UP)
    digits = "".join(map(str, rounded.as_tuple().digits))
    if len(digits) > 16:  # 9.9999999999999995e0 rounds up to 1.0e1
        exponent += 1
    fraction = digits[1:16].rstrip("0") or "0"
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[0]}.{fraction}E{exponent}"


def _refuse_dropped_property(expanded_property: str | None) -> None:
    raise CanonicalizationError(
        f"property {expanded_property!r} has no definition in the @context: it would be "
        "dropped and left unsigned"
    )


def _require_absolute(iri: str, position: str) -> None:
    if not iri.startswith("_:") and not _ABSOLUTE_IRI.match(iri):
        raise CanonicalizationError(f"relative IRI {iri!r} as {position}: not signable")


def _unwrap(error: JsonLdError) -> Exception:
    # pyld wraps loader and handler exceptions in layers of JsonLdError; surface ours.
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, DocumentNotBundledError | CanonicalizationError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return CanonicalizationError(f"not valid JSON-LD: {error}")
