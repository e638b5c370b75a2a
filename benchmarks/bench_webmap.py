"""Benchmark: size, write time and headless-Chromium load time of map.html.

Runs the stages of a project (default the demo; e.g. /tmp/synth100k/project.yaml, made
by `zoning synth DIR --parcels 100000`), writes map.html with the runner's map writer
(all layers) and prints the file size (MB), the write time, and the time Debian's
Chromium (/usr/bin/chromium, through Playwright, network off) takes from navigation
until the zones layer is drawn (the load event, then two animation frames; the
inline scripts build and add the visible layers before the load event, and Leaflet's
canvas draws in the next frame; a layer of more than
zoning.outputs.webmap.MAX_DRAWN_FEATURES features waits for the user to zoom in). Usage:
python benchmarks/bench_webmap.py [PROJECT] [--out DIR] [--runs 3] [--cache FILE]

``--cache FILE`` keeps the stages' result (a pickle) in FILE: read if it exists, else
written after the run, so the map can be timed again without rerunning the stages.
"""

from __future__ import annotations

import argparse
import logging
import pickle
import statistics
import tempfile
import time
from pathlib import Path

from zoning.engine import prepare, run_stages
from zoning.runner import SYNTHETIC_NOTICE, _webmap

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
]
_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
_ZONE_FEATURES = """() => {
    const canvas = document.querySelector(".leaflet-overlay-pane canvas");
    return canvas !== null && canvas.width > 0;
}"""


def load_seconds(html: Path, runs: int) -> list[float]:
    """Seconds from navigation until the visible layers are drawn, one per fresh browser."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as profile:
                context = p.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                    viewport={"width": 1280, "height": 900})
                try:
                    page = context.new_page()
                    errors: list[str] = []
                    page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                    start = time.perf_counter()
                    page.goto(html.as_uri(), wait_until="load", timeout=600_000)
                    page.evaluate(_TWO_FRAMES)
                    times.append(time.perf_counter() - start)
                    if errors or not page.evaluate(_ZONE_FEATURES):
                        raise RuntimeError(f"the map did not draw: {errors}")
                finally:
                    context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", nargs="?", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="folder for map.html")
    parser.add_argument("--runs", type=int, default=3, help="browser loads to time")
    parser.add_argument("--cache", type=Path, default=None,
                        help="pickle of the stages' result: read if present, else written")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    start = time.perf_counter()
    if args.cache is not None and args.cache.exists():
        with args.cache.open("rb") as f:
            result = pickle.load(f)  # a file this script wrote
    else:
        result = run_stages(prepare(args.project), progress=False)
        if args.cache is not None:
            with args.cache.open("wb") as f:
                pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    stages = time.perf_counter() - start
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_webmap-"))
    notice = SYNTHETIC_NOTICE if result.prepared.project.synthetic else None
    start = time.perf_counter()
    html = _webmap(result, out, notice)
    write = time.perf_counter() - start
    loads = load_seconds(html, args.runs)
    print(f"parcels            {len(result.parcels):>10,}")
    print(f"stages             {stages:>10.1f} s")
    print(f"map.html           {html.stat().st_size / 1e6:>10.1f} MB  ({html})")
    print(f"write              {write:>10.1f} s")
    print(f"load until drawn   {statistics.median(loads):>10.1f} s median of "
          f"{', '.join(f'{t:.1f}' for t in loads)}")


if __name__ == "__main__":
    main()
