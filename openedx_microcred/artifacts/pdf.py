"""
The PDF certificate (fpdf2; pure Python, the bundled font embedded as a subset).

One A4 landscape page (more when the course list is long): issuer, the learner's name, the
programme, the dates, credits or hours, the courses behind it, and a QR code with the public
verification URL printed beside it — the PDF is a convenience copy; the signed JSON-LD and the
verification page are what prove it.
"""
from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from .. import qr
from . import FONT_PATH, CertificateContent

FONT = "wqy"
INK = (17, 24, 39)
MUTED = (69, 69, 69)
PRIMARY = (10, 48, 85)  # Open edX (Paragon) primary
ACCENT = (0, 104, 141)
LINE = (214, 209, 206)
BAD = (171, 13, 2)
ROW = 5.6  # mm per course row

__all__ = ["render_certificate"]


def render_certificate(content: CertificateContent) -> bytes:
    """The certificate of ``content`` as PDF bytes. Never touches the network or a database."""
    pdf = _document(content)
    pdf.add_page()
    _frame(pdf)
    _heading(pdf, content)
    _body(pdf, content)
    body_end = pdf.get_y() + 5
    _verification(pdf, content)
    if content.items:
        _items(pdf, content, start=body_end)
    return bytes(pdf.output())


def _document(content: CertificateContent) -> FPDF:
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_title(f"{content.program_title} — {content.learner_name}")
    pdf.set_author(content.issuer_name)
    pdf.set_subject(content.labels.get("heading", "Certificate"))
    pdf.set_creator("openedx-microcred")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(22, 20, 22)
    pdf.add_font(FONT, "", str(FONT_PATH))
    pdf.set_font(FONT, size=11)
    pdf.set_text_color(*INK)
    return pdf


def _frame(pdf: FPDF) -> None:
    pdf.set_draw_color(*PRIMARY)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_draw_color(*LINE)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, pdf.w - 22, pdf.h - 22)


def _heading(pdf: FPDF, content: CertificateContent) -> None:
    pdf.set_y(22)
    pdf.set_text_color(*ACCENT)
    pdf.set_font(FONT, size=12)
    pdf.cell(0, 7, content.issuer_name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*PRIMARY)
    pdf.set_font(FONT, size=24)
    pdf.cell(0, 13, content.labels.get("heading", "Certificate"), align="C",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if content.status_note:
        pdf.set_text_color(*BAD)
        pdf.set_font(FONT, size=13)
        pdf.cell(0, 8, content.status_note, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _body(pdf: FPDF, content: CertificateContent) -> None:
    pdf.ln(3)
    _centered(pdf, content.labels.get("certifies", ""), 12, MUTED, 7)
    _centered(pdf, content.learner_name, 26, INK, 13)
    _centered(pdf, content.labels.get("earned", ""), 12, MUTED, 7)
    _centered(pdf, content.program_title, 19, PRIMARY, 10)
    facts = [f"{content.labels.get('issued', 'Issued')}: {content.issued_on}"]
    if content.expires_on:
        facts.append(f"{content.labels.get('expires', 'Expires')}: {content.expires_on}")
    if content.measure:
        facts.append(content.measure)
    pdf.ln(2)
    _centered(pdf, "   ·   ".join(facts), 11, MUTED, 7)


def _centered(pdf: FPDF, text: str, size: float, colour: tuple[int, int, int],
              height: float) -> None:
    if not text:
        return
    pdf.set_font(FONT, size=size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, height, text, align="C", wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)


def _verification(pdf: FPDF, content: CertificateContent) -> None:
    """The QR code (vector modules) and the URL it encodes, at the bottom of the first page."""
    size = 34.0
    x, y = pdf.w - 22 - size, pdf.h - 20 - size
    matrix = qr.qr_matrix(content.verify_url)
    module = size / len(matrix)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        for column, dark in enumerate(cells):
            if dark:
                pdf.rect(x + column * module, y + row * module, module, module, style="F")
    pdf.set_xy(22, y + 6)
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(*MUTED)
    width = x - 22 - 6
    pdf.multi_cell(width, 5, content.labels.get("verify", ""), new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(width, 5, content.verify_url, link=content.verify_url,
                   wrapmode=WrapMode.CHAR, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT, size=8)
    pdf.multi_cell(width, 4.5, f"{content.labels.get('credential_id', 'ID')}: "
                   f"{content.credential_id}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _items(pdf: FPDF, content: CertificateContent, *, start: float) -> None:
    """The courses behind the credential: on the first page when they fit, else on the next."""
    top = pdf.h - 20 - 34 - 4
    needed = 8 + ROW * (len(content.items) + 0.5)
    y = start
    if y + needed > top:
        pdf.add_page()
        _frame(pdf)
        y = 22.0
    pdf.set_xy(22, y)
    pdf.set_font(FONT, size=12)
    pdf.set_text_color(*PRIMARY)
    pdf.cell(0, 7, content.labels.get("courses", ""), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*LINE)
    with pdf.table(col_widths=(60, 25, 15), text_align=("LEFT", "LEFT", "RIGHT"),
                   first_row_as_headings=False, line_height=ROW, borders_layout="HORIZONTAL_LINES",
                   width=pdf.w - 44 - 40, align="LEFT", wrapmode=WrapMode.CHAR) as table:
        for item in content.items:
            table.row((item.title, item.detail, item.measure))
