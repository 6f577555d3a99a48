"""The PDF certificate and the baked badge image, rendered without Django (pure renderers)."""
import io
import struct

import pypdf
import pypdfium2
import zxingcpp
from PIL import Image

from openedx_microcred.artifacts import FONT_PATH, CertificateContent, CertificateItem
from openedx_microcred.artifacts.badge import BAKING_KEYWORD, baked_credential, render_badge
from openedx_microcred.artifacts.pdf import render_certificate

URL = "https://lms.example.edu/microcred/verify/0b3f0e0c-2f53-4a5e-9d7b-7f5b8e5c9a11/"


def content(items: int = 3, **changes) -> CertificateContent:
    values = {
        "learner_name": "王芳", "program_title": "程序设计与算法", "issuer_name": "北京大学",
        "issued_on": "2026年3月1日", "verify_url": URL,
        "credential_id": "0b3f0e0c-2f53-4a5e-9d7b-7f5b8e5c9a11", "measure": "237 学时",
        "items": tuple(CertificateItem(f"课程 {n}", f"course-v1:PekingX+CS{n}+2025", "30 学时")
                    for n in range(items)),
        "labels": {"heading": "微证书", "certifies": "兹证明", "verify": "扫码验证："}}
    values.update(changes)
    return CertificateContent(**values)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The PNG's (type, data) chunks."""
    found, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        found.append((png[offset + 4:offset + 8], png[offset + 8:offset + 8 + length]))
        offset += 12 + length
    return found


def test_the_pdf_carries_the_text_and_a_qr_code_of_the_verification_url():
    pdf = render_certificate(content())
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for expected in ("王芳", "程序设计与算法", "北京大学", "2026年3月1日", "237 学时", "课程 2",
                     URL):
        assert expected in text
    image = pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil()
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [URL]
    assert reader.metadata.title == "程序设计与算法 — 王芳"


def test_a_long_course_list_moves_to_a_second_page_and_the_status_note_shows():
    pdf = render_certificate(content(items=30, status_note="Expired on May 1, 2029"))
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    assert "Expired on May 1, 2029" in reader.pages[0].extract_text()
    assert "课程 29" in "".join(page.extract_text() for page in reader.pages[1:])


def test_the_pdf_embeds_only_a_subset_of_the_bundled_font():
    assert FONT_PATH.stat().st_size > 2_000_000
    assert len(render_certificate(content())) < 200_000


def test_the_badge_bakes_the_credential_once_uncompressed():
    credential = {"id": "urn:uuid:1", "name": "程序设计与算法", "proof": [{"type": "x"}]}
    png = render_badge(title="程序设计与算法", issuer="北京大学", credential=credential)
    assert baked_credential(png) == credential
    itxt = [data for kind, data in chunks(png) if kind == b"iTXt"]
    assert len(itxt) == 1
    keyword, rest = itxt[0].split(b"\0", 1)
    assert keyword == BAKING_KEYWORD.encode() and rest[:2] == b"\0\0"  # no compression
    lang, rest = rest[2:].split(b"\0", 1)
    translated, text = rest.split(b"\0", 1)
    assert lang == translated == b""
    assert text.decode("utf-8").startswith('{"id":"urn:uuid:1"')


def test_an_image_without_a_baked_credential():
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, format="PNG")
    assert baked_credential(out.getvalue()) is None
