"""The vendored Leaflet files are what their README lists, and the map repeats their licence."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from zoning.outputs._assets import LICENCE, SOURCE, leaflet_assets

VENDOR = Path(__file__).resolve().parents[1] / "zoning" / "outputs" / "vendor" / "leaflet"
README = (VENDOR / "README.md").read_text(encoding="utf-8")
ROW_RE = re.compile(r"^\| `([^`]+)` \| `[^`]+` \| (\d+) \| `([0-9a-f]{64})` \|$", re.MULTILINE)
COPYRIGHT = ("Copyright (c) 2010-2023, Volodymyr Agafonkin", "Copyright (c) 2010-2011, CloudMade")


def test_readme_lists_every_vendored_file_with_size_and_checksum():
    listed = {m[1]: (int(m[2]), m[3]) for m in ROW_RE.finditer(README)}
    present = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    assert set(listed) == present - {"README.md"}
    assert {"LICENSE", "leaflet.js", "leaflet.css", "images/layers.png"} <= set(listed)
    for name, (size, sha256) in listed.items():
        data = (VENDOR / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (size, sha256), name


def test_readme_names_the_version_the_script_carries():
    assets = leaflet_assets()
    assert assets.version == "1.9.4"
    assert f"version **{assets.version}**" in README
    assert "npm pack leaflet@" in README  # how to update


def test_licence_is_leaflets_bsd_2_clause_and_the_page_repeats_it():
    licence = (VENDOR / "LICENSE").read_text(encoding="utf-8")  # CRLF read as LF
    assert licence.startswith("BSD 2-Clause License\n")
    assert all(line in licence for line in COPYRIGHT)
    page = leaflet_assets().html()
    comment, _, rest = page.partition("-->")
    assert comment.startswith(f"<!-- Leaflet 1.9.4 (https://leafletjs.com), {LICENCE} licence, "
                              f"inlined from {SOURCE} 1.9.4.")
    assert licence.strip() in comment  # notices, conditions and disclaimer, with LF endings
    assert "<!--" not in rest and "--" not in comment[4:] and "\r" not in comment
    assert rest.startswith("\n<style>\n") and "(c) 2010-2023 Vladimir Agafonkin" in rest
