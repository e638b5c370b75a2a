"""Chinese-capable font for matplotlib, found without network or writes to matplotlib.

The Noto Sans CJK SC font shipped inside the ``mplfonts`` package is registered with
``matplotlib.font_manager.fontManager.addfont`` and then used by family name. The
package is located with ``importlib.util.find_spec`` so that its ``__init__`` (which
imports its font-management helpers) is not executed. If the file is missing, a CJK
family that matplotlib already knows is used instead; if there is none, a warning is
logged and Chinese text will render as empty boxes.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib import font_manager

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

logger = logging.getLogger(__name__)

MPLFONTS_FONT_FILE = "NotoSansCJKsc-Regular.otf"
"""File name of the preferred font inside ``mplfonts/fonts``."""

KNOWN_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
"""Families used, in this order, when the mplfonts file cannot be found."""


def mplfonts_font_path(filename: str = MPLFONTS_FONT_FILE) -> Path | None:
    """Return the path of ``filename`` inside the installed ``mplfonts`` package, or None."""
    try:
        spec = importlib.util.find_spec("mplfonts")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "fonts" / filename
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def cjk_font_family() -> str | None:
    """Register the CJK font once and return its family name (None if there is none)."""
    path = mplfonts_font_path()
    if path is not None:
        try:
            font_manager.fontManager.addfont(str(path))
            name = font_manager.FontProperties(fname=str(path)).get_name()
        except (OSError, RuntimeError, ValueError) as exc:
            logger.warning("cannot load CJK font %s: %s", path, exc)
        else:
            logger.debug("using CJK font %r from %s", name, path)
            return name
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in KNOWN_CJK_FAMILIES:
        if family in known:
            logger.info("mplfonts font not found; using installed CJK font %r", family)
            return family
    logger.warning(
        "no font with Chinese glyphs found (install the mplfonts package); "
        "Chinese labels will render as empty boxes"
    )
    return None


def font_rc() -> dict[RcKeyType, Any]:
    """Return rcParams that make matplotlib draw Chinese with the CJK font.

    Use with ``matplotlib.rc_context(font_rc())`` so global settings stay untouched.
    DejaVu Sans stays in the list as a fallback for glyphs the CJK font lacks.
    """
    family = cjk_font_family()
    families = [family, "DejaVu Sans"] if family else ["DejaVu Sans"]
    return {
        "font.family": "sans-serif",
        "font.sans-serif": families,
        "axes.unicode_minus": False,
        # Type 3 embeds only the glyphs used; CFF-flavoured OpenType fonts suit it best
        "pdf.fonttype": 3,
        "ps.fonttype": 3,
    }
