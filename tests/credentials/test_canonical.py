"""Canonical N-Quads: byte-identical to jsonld.js + rdf-canonize, strict where they are strict."""
from __future__ import annotations

import copy

import pytest

from openedx_microcred.credentials.canonical import canonize
from openedx_microcred.credentials.exceptions import CanonicalizationError, DocumentNotBundledError

from .samples import achievement_credential, corpus

EX = "http://example.org/"
XSD = "http://www.w3.org/2001/XMLSchema#"


def quads_of(**values):
    return canonize({"@context": {"@vocab": EX}, "@id": "urn:x", **values})


# Expected lines as jsonld.js 9 + rdf-canonize 5 write them (tests/js/canonize.mjs).
@pytest.mark.parametrize(("value", "literal"), [
    (2.5, f'"2.5E0"^^<{XSD}double>'),
    (3.0, f'"3"^^<{XSD}integer>'),
    (-0.0, f'"0"^^<{XSD}integer>'),
    (12345678901.140625, f'"1.234567890114063E10"^^<{XSD}double>'),  # a tie: rounds half up
    (1e21, f'"1.0E21"^^<{XSD}double>'),
    (1.5e-7, f'"1.5E-7"^^<{XSD}double>'),
    (1e-6, f'"1.0E-6"^^<{XSD}double>'),
    (0.30000000000000004, f'"3.0E-1"^^<{XSD}double>'),
    (2**53 - 1, f'"9007199254740991"^^<{XSD}integer>'),
    ({"@value": 4, "@type": f"{XSD}double"}, f'"4.0E0"^^<{XSD}double>'),
])
def test_numbers_are_typed_and_written_as_jsonld_js_does(value, literal):
    assert quads_of(n=value) == f"<urn:x> <{EX}n> {literal} .\n"


@pytest.mark.parametrize("value", [1e-7, 5e-324, 2**53, -(2**60)])
def test_numbers_javascript_would_read_differently_are_refused(value):
    with pytest.raises(CanonicalizationError):
        quads_of(n=value)


def test_literals_and_iris_are_escaped_as_rdf_canonize_does():
    assert quads_of(s="\x00\b\t\n\x0b\f\r\x1f\x7f\"\\ é", **{"@type": f"{EX}T{{1}}"}) == (
        f'<urn:x> <{EX}s> "\\u0000\\b\\t\\n\\u000B\\f\\r\\u001F\\u007F\\"\\\\ é" .\n'
        f"<urn:x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EX}T\\u007B1\\u007D> .\n"
    )


def test_lines_are_ordered_by_utf16_code_units_like_javascript():
    # U+1F600 is D83D DE00 in UTF-16, before U+FF01; in code points it comes after.
    assert quads_of(s=["！", "😀"]).splitlines() == [
        f'<urn:x> <{EX}s> "😀" .', f'<urn:x> <{EX}s> "！" .']


@pytest.mark.parametrize(("document", "message"), [
    ({"@context": {"name": "https://schema.org/name"}, "name": "x", "undefinedTerm": "y"},
     "no definition"),
    ({"@context": {"@vocab": EX}, "@id": "relative/id", "name": "x"}, "relative IRI"),
    ({"@context": {"@vocab": EX, "link": {"@type": "@id"}}, "@id": "urn:x", "link": "rel"},
     "relative IRI"),
])
def test_data_that_would_be_left_unsigned_is_refused(document, message):
    with pytest.raises(CanonicalizationError, match=message):
        canonize(document)


def test_contexts_outside_the_bundle_are_never_fetched():
    document = {"@context": "https://www.w3.org/2018/credentials/v1", "id": "urn:x"}
    with pytest.raises(DocumentNotBundledError):
        canonize(document)


def test_canonize_leaves_its_input_alone_and_follows_context_changes():
    document = {"@context": [{"@vocab": EX}], "@id": "urn:x", "name": "x"}
    pristine = copy.deepcopy(document)
    first = canonize(document)
    assert document == pristine
    # Processed contexts are memoized: a changed inline context must still take effect.
    document["@context"][0]["@vocab"] = "http://example.net/"
    assert canonize(document) != first


def test_blank_node_labels_do_not_depend_on_key_order():
    credential = achievement_credential("did:example:issuer")
    reordered = dict(reversed(list(credential.items())))
    assert canonize(credential) == canonize(reordered)
    assert "_:c14n0" in canonize(credential)


def test_corpus_is_byte_identical_to_rdf_canonize(node):
    documents = corpus(60)
    expected = node.canonize(documents)
    for index, (document, reference) in enumerate(zip(documents, expected, strict=True)):
        assert isinstance(reference, str), f"document {index}: reference refused it: {reference}"
        assert canonize(document) == reference, f"document {index} differs"
