"""Chinese-capable font for matplotlib, found without network or writes to matplotlib.

The Noto Sans CJK SC font shipped inside the ``mplfonts`` package is registered with
``matplotlib.font_manager.fontManager.addfont`` and then used by family name. The
package is located with ``importlib.util.find_spec`` so that its ``__init__`` (which
imports its font-management helpers) is not executed. If the file is missing, a CJK
family that matplotlib already knows is used instead; if there is none, a warning is
logged and Chinese text will render as empty boxes.

PNG and the report's charts draw with the OpenType font directly (``pdf.fonttype`` 3 is
set but unused). A PDF embeds a TrueType subset of the glyphs it draws instead
(:func:`pdf_font_rc`): Type 42, so its Chinese text can be searched and copied.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import tempfile
from collections.abc import Iterator
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


PDF_FONT_FAMILY = "Zoning CJK TrueType Subset"
"""Family name of the TrueType subset that :func:`pdf_font_rc` registers."""
PDF_FONT_POSTSCRIPT = "ZoningCJK-NotoSansCJKsc-Subset"
"""PostScript name of that subset: the ``/BaseFont`` of the fonts in a written PDF."""
_CU2QU_MAX_ERR = 1.0
"""Largest distance (font units, of 1000 per em) of the quadratic outlines from the cubic."""


def truetype_subset(text: str, folder: Path, source: Path | None = None) -> Path | None:
    """Write a TrueType (``glyf``) font with only the glyphs of ``text``, from the CJK font.

    The shipped Noto Sans CJK SC is OpenType with CFF outlines, which matplotlib can embed
    in a PDF only as Type 3 (glyphs drawn as pictures: Chinese text cannot be searched or
    copied) or, as Type 42, wrongly (CFF data in a TrueType font stream). The subset's
    outlines are converted to quadratic curves (fontTools ``cu2qu``) so that Type 42
    embeds a valid TrueType font with a ToUnicode map.

    Parameters
    ----------
    text
        Every character the document draws.
    folder
        Folder to write ``<PDF_FONT_POSTSCRIPT>.ttf`` into.
    source
        The OpenType font to subset; the mplfonts Noto Sans CJK SC by default.

    Returns
    -------
    pathlib.Path or None
        The TrueType file, or None when there is no source font or it cannot be converted
        (a warning is logged).
    """
    source = source or mplfonts_font_path()
    if source is None:
        return None
    try:
        return _convert(text, folder, source)
    except Exception as exc:  # fontTools raises many kinds; the PDF falls back to Type 3
        logger.warning("cannot make a TrueType subset of %s (%s); the PDF embeds Type 3 "
                       "glyphs instead", source, exc)
        return None


def _convert(text: str, folder: Path, source: Path) -> Path:
    from fontTools import subset
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import TTFont, newTable

    font = TTFont(str(source), lazy=False)
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text))))
    subsetter.subset(font)
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, _CU2QU_MAX_ERR, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        if hasattr(glyph, "xMin"):
            hmtx[name] = (hmtx[name][0], glyph.xMin)
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for key in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, key, 0)
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 3.0
    font["head"].glyphDataFormat = 0
    names = font["name"]
    names.removeNames(nameID=1)
    names.removeNames(nameID=4)
    names.removeNames(nameID=6)
    names.removeNames(nameID=16)
    names.removeNames(nameID=17)
    for name_id, value in ((1, PDF_FONT_FAMILY), (4, PDF_FONT_FAMILY),
                           (6, PDF_FONT_POSTSCRIPT)):
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)
    font.sfntVersion = "\x00\x01\x00\x00"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{PDF_FONT_POSTSCRIPT}.ttf"
    font.save(str(path))
    return path


@contextlib.contextmanager
def pdf_font_rc(text: str) -> Iterator[dict[RcKeyType, Any]]:
    """Matplotlib settings for a PDF whose Chinese text is text in an embedded TrueType font.

    Makes :func:`truetype_subset` of ``text`` in a temporary folder, registers it with
    matplotlib for the duration of the ``with`` block and yields :func:`font_rc` with that
    family first and ``pdf.fonttype`` 42; if no subset can be made, :func:`font_rc` as it is
    (Type 3).
    """
    manager = font_manager.fontManager
    with tempfile.TemporaryDirectory(prefix="zoning-font-") as folder:
        path = truetype_subset(text, Path(folder))
        rc = font_rc()
        if path is None:
            yield rc
            return
        manager.addfont(str(path))
        _forget_lookups(manager)
        rc["font.sans-serif"] = [PDF_FONT_FAMILY, *rc["font.sans-serif"]]
        rc["pdf.fonttype"] = 42
        try:
            yield rc
        finally:
            manager.ttflist = [e for e in manager.ttflist if e.name != PDF_FONT_FAMILY]
            _forget_lookups(manager)


def _forget_lookups(manager: font_manager.FontManager) -> None:
    """Drop matplotlib's cache of font lookups (a private cache: skipped if it is gone)."""
    cached = getattr(manager, "_findfont_cached", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()
