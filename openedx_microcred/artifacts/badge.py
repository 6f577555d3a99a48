"""
The badge image with the credential baked in (Open Badges 3.0 §5.3 "Baking", PNG).

The signed credential's JSON goes, uncompressed, into one ``iTXt`` chunk with the keyword
``openbadgecredential`` (empty language tag and translated keyword), so a wallet or verifier
that is given only the image can extract and verify the credential.
"""
from __future__ import annotations

import io
import json
import math
import re

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from . import FONT_PATH

BAKING_KEYWORD = "openbadgecredential"
SIZE = 600
PRIMARY = (10, 48, 85)
ACCENT = (0, 104, 141)
GOLD = (240, 204, 0)
WHITE = (255, 255, 255)
_TOKENS = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff]+|\s+")

__all__ = ["BAKING_KEYWORD", "render_badge", "baked_credential"]


def render_badge(*, title: str, issuer: str, credential: dict) -> bytes:
    """A 600×600 PNG badge showing ``title`` and ``issuer``, with ``credential`` baked in."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, SIZE - 10, SIZE - 10), fill=GOLD)
    draw.ellipse((28, 28, SIZE - 28, SIZE - 28), fill=PRIMARY)
    draw.ellipse((46, 46, SIZE - 46, SIZE - 46), outline=WHITE, width=3)
    _star(draw, SIZE // 2, 130, 34)
    _text_block(draw, title, top=190, bottom=400, size=44, fill=WHITE)
    _text_block(draw, issuer, top=420, bottom=500, size=26, fill=GOLD)
    info = PngInfo()
    info.add_itxt(BAKING_KEYWORD, json.dumps(credential, ensure_ascii=False,
                                             separators=(",", ":")), lang="", tkey="", zip=False)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info, optimize=True)
    return out.getvalue()


def baked_credential(png: bytes) -> dict | None:
    """The credential baked into ``png`` (None when there is none)."""
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        text = getattr(image, "text", {}).get(BAKING_KEYWORD)
    return json.loads(text) if text else None


def _star(draw: ImageDraw.ImageDraw, cx: int, cy: int, radius: int) -> None:
    points = []
    for index in range(10):
        angle = math.pi / 2 + index * math.pi / 5
        r = radius if index % 2 == 0 else radius * 0.45
        points.append((cx + r * math.cos(angle), cy - r * math.sin(angle)))
    draw.polygon(points, fill=GOLD)


def _text_block(draw: ImageDraw.ImageDraw, text: str, *, top: int, bottom: int, size: int,
                fill: tuple[int, int, int]) -> None:
    """``text`` centred between ``top`` and ``bottom``, shrunk until it fits."""
    width = SIZE - 150
    while True:
        font = ImageFont.truetype(str(FONT_PATH), size)
        lines = _wrap(draw, text, font, width)
        height = len(lines) * int(size * 1.25)
        if height <= bottom - top or size <= 14:
            break
        size -= 3
    y = top + (bottom - top - height) // 2
    for line in lines:
        line_width = draw.textlength(line, font=font)
        draw.text(((SIZE - line_width) / 2, y), line, font=font, fill=fill)
        y += int(size * 1.25)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont,
          width: int) -> list[str]:
    """Greedy wrapping at spaces, and between any two CJK characters."""
    lines, current = [], ""
    for token in _TOKENS.findall(text.strip()):
        candidate = current + token
        if current and draw.textlength(candidate.rstrip(), font=font) > width:
            lines.append(current.rstrip())
            current = token.lstrip()
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]
