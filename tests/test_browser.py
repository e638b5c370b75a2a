"""The demo's map.html in a real headless Chromium with the network off (Playwright).

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run); Playwright's own browser
downloads are never used. Without Chromium the test skips locally but fails in CI
(where the environment variable CI is set), so a missing install cannot pass unseen.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import numpy as np
import pytest

from zoning import columns as col
from zoning.outputs import webmap
from zoning.rules.models import ZonesRules
from zoning.runner import SYNTHETIC_NOTICE, _webmap

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]
VIEWPORT = {"width": 1280, "height": 900}
BACKGROUND = "#f4f4f2"
"""The map's background (``.leaflet-container`` in the web map's stylesheet)."""
COLOUR_TOLERANCE = 4
MIN_ZONE_PIXELS = 500

pytestmark = pytest.mark.slow


def _playwright():
    """Playwright's sync API, or skip (fail in CI) when it or Chromium is missing."""
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is not installed (apt-get install chromium)"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the python package playwright is not installed (pip install -e '.[dev]')"
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {missing}")
        pytest.skip(missing)
    return sync_playwright


def _rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _count_near(pixels: np.ndarray, colour: np.ndarray) -> int:
    return int((np.abs(pixels[..., :3].astype(float) - colour).max(axis=-1) <= COLOUR_TOLERANCE)
               .sum())


# the Leaflet canvas holding the vector layers, read back as RGBA bytes in base64 (a list of
# 6.6 million numbers takes Playwright over a minute to hand over; this string, a second)
_CANVAS_PIXELS = """() => {
    const c = document.querySelector(".leaflet-overlay-pane canvas");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height);
    let bytes = "";
    for (let i = 0; i < d.data.length; i += 0x8000) {
        bytes += String.fromCharCode.apply(null, d.data.subarray(i, i + 0x8000));
    }
    return {width: d.width, height: d.height, data: btoa(bytes)};
}"""
_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.fixture(scope="module")
def demo_map(demo_result, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("webmap")
    return _webmap(demo_result, folder, SYNTHETIC_NOTICE)


def test_demo_map_works_offline_in_chromium(demo_map, demo_result, tmp_path):
    sync_playwright = _playwright()
    zones = demo_result.prepared.rules.get("zones", ZonesRules).zones
    present = set(demo_result.layers["zones"][col.ZONE])
    zone_colours = {k: z.color for k, z in zones.items() if k in present}
    errors: list[str] = []
    requests: list[str] = []
    screenshot = tmp_path / "map.png"
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(demo_map.as_uri(), wait_until="load")
            page.evaluate(_TWO_FRAMES)

            assert page.evaluate("() => typeof L === 'object' && L.version") == "1.9.4"
            assert page.locator(".leaflet-container").count() == 1
            names = page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
            names = [n.strip() for n in names]
            for name in ("分区", "地块", "修复模式", "价值实现模式", "适宜性：耕地", "地表下沉"):
                assert name in names, names

            # zones alone (parcels switched off in the layer control): zone colours at
            # the zones' fill opacity on the canvas
            page.get_by_text("地块", exact=True).click()
            page.evaluate(_TWO_FRAMES)
            canvas = page.evaluate(_CANVAS_PIXELS)
            rgba = np.frombuffer(base64.b64decode(canvas["data"]), dtype=np.uint8).reshape(
                canvas["height"], canvas["width"], 4)
            fill_alpha = round(webmap._ZONES_STYLE["fillOpacity"] * 255)
            interior = rgba[np.abs(rgba[..., 3].astype(int) - fill_alpha) <= COLOUR_TOLERANCE]
            drawn = {k: _count_near(interior, _rgb(c)) for k, c in zone_colours.items()}
            assert sum(drawn.values()) > MIN_ZONE_PIXELS, drawn
            assert sum(n > 0 for n in drawn.values()) >= len(zone_colours) - 1, drawn

            legend = page.locator(".zoning-legend")
            first = next(iter(zone_colours))
            assert zones[first].label.zh in legend.inner_text()
            page.get_by_role("button", name="EN").click()
            english = legend.inner_text()
            assert zones[first].label.en in english
            assert zones[first].label.zh not in english
            assert "Zones" in page.locator(".leaflet-control-layers").inner_text()

            page.screenshot(path=str(screenshot))
        finally:
            context.close()

    assert not errors, f"script errors: {errors} (screenshot {screenshot})"
    outside = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert not outside, f"the page asked the network for {outside}"
    import matplotlib.image as mpimg

    shot = np.round(mpimg.imread(screenshot)[..., :3] * 255)
    opacity = webmap._ZONES_STYLE["fillOpacity"]
    on_screen = {
        k: _count_near(shot, opacity * _rgb(c) + (1 - opacity) * _rgb(BACKGROUND))
        for k, c in zone_colours.items()
    }
    assert sum(on_screen.values()) > MIN_ZONE_PIXELS, (
        f"screenshot {screenshot} shows no zone colours: {on_screen}")
