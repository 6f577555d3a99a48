"""
The languages the plugin's pages and emails are written in, and how platform codes map to them.

The LMS stores ``zh-cn`` (and browsers send ``zh-CN``, ``zh-Hans-CN``…) where the plugin's
catalogue is ``zh_Hans``: every such code maps to ``zh-hans``.
"""
from __future__ import annotations

LANGUAGES = {"en": "English", "zh-hans": "中文"}  # Django code -> the language's own name
HTML_LANG = {"en": "en", "zh-hans": "zh-Hans"}  # Django code -> BCP 47 (``<html lang>``)


def supported_language(code: str | None) -> str | None:
    """``en`` or ``zh-hans`` for a code of either family (any case, ``-`` or ``_``), else None."""
    code = (code or "").strip().lower().replace("_", "-")
    if code == "en" or code.startswith("en-"):
        return "en"
    if code in ("zh", "zh-hans", "zh-cn", "zh-sg") or code.startswith("zh-hans-"):
        return "zh-hans"
    return None


__all__ = ["LANGUAGES", "HTML_LANG", "supported_language"]
