"""A non-editable wheel carries the rule files and the demo region."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    code = ("import zoning._resources as r; print(r.rules_dir()); print(r.demo_project())")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(target)}).stdout
    rules, demo = out.split()
    assert rules.startswith(str(target)) and demo.startswith(str(target))
    assert Path(demo).is_file()
