"""
QR codes as inline SVG (no image files, no JavaScript) for the public verification page.

The ``qrcode`` library's single-path SVG factory draws the modules; the root element is adapted
for inline HTML: no fixed size (CSS scales it through ``viewBox``), ``role="img"`` with an
accessible label, crisp module edges and a white quiet zone so that it scans on any background.
"""
from __future__ import annotations

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.svg import SvgPathFillImage


class _InlineSvg(SvgPathFillImage):
    """A single-path SVG sized by its ``viewBox``, ready to be inlined in an HTML page."""

    def _svg(self, *args, **kwargs):
        svg = super()._svg(*args, **kwargs)
        svg.attrib.pop("width", None)
        svg.attrib.pop("height", None)
        svg.set("shape-rendering", "crispEdges")
        return svg

    def process(self):
        super().process()
        if self.path is not None:
            self.path.attrib.pop("id", None)  # ids must stay unique in the embedding page


def qr_svg(data: str, *, label: str = "", css_class: str = "qr") -> str:
    """An inline ``<svg>`` element with the QR code of ``data`` (error correction level M).

    ``label`` becomes the image's accessible name (``role="img"``); ``css_class`` its class.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=10,
                         image_factory=_InlineSvg)
    code.add_data(data)
    code.make(fit=True)
    image = code.make_image()
    root = image.get_image()
    root.set("class", css_class)
    if label:
        root.set("role", "img")
        root.set("aria-label", label)
    else:
        root.set("aria-hidden", "true")
    return image.to_string(encoding="unicode")


def qr_matrix(data: str) -> list[list[bool]]:
    """The module matrix (quiet zone included) that ``qr_svg`` draws for ``data``."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()

