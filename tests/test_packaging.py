"""A non-editable wheel carries the rule files, the demo region and the vendored Leaflet."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LEAFLET_FILES = ("LICENSE", "README.md", "leaflet.js", "leaflet.css", "images/layers.png",
                 "images/layers-2x.png")


@pytest.mark.slow
def test_wheel_carries_data_and_finds_it(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("zoning-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "zoning/_data/rules/modes.yaml" in names
    assert "zoning/_data/rules/schema.json" in names
    assert "zoning/_data/layers/demo/project.yaml" in names
    assert "zoning/_data/layers/demo/parcels.gpkg" in names
    leaflet = {f"zoning/outputs/vendor/leaflet/{n}" for n in LEAFLET_FILES}
    assert leaflet <= names
    assert "zoning-0.1.0.dist-info/licenses/zoning/outputs/vendor/leaflet/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read("zoning-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: MIT AND BSD-2-Clause" in metadata.splitlines()
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    code = ("import zoning._resources as r; print(r.rules_dir()); print(r.demo_project()); "
            "import importlib.resources as ir; import zoning.outputs._assets as a; "
            "print(ir.files('zoning.outputs').joinpath(a.VENDOR)); "
            "print(a.leaflet_assets().version)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(target)}).stdout
    rules, demo, vendor, version = out.split()
    assert all(p.startswith(str(target)) for p in (rules, demo, vendor))
    assert version == "1.9.4"
    assert Path(demo).is_file()
