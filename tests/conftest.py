"""Shared fixtures: small projects written to temporary folders, and the shared data folder."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import yaml

from zoning._resources import demo_project


def _shared_data() -> Path:
    """``$ZONING_SHARED_DATA``, else ``../shared/data`` by the checkout, else /work/shared/data."""
    if env := os.environ.get("ZONING_SHARED_DATA"):
        return Path(env)
    beside = Path(__file__).resolve().parents[2] / "shared" / "data"
    return beside if beside.exists() else Path("/work/shared/data")


SHARED_DATA = _shared_data()


def shared(*parts: str) -> Path:
    """A file in ../shared/data; the test is skipped when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture(autouse=True)
def _restore_zoning_logger():
    """Undo what ``zoning.cli.main`` does to the ``zoning`` logger (handler on a captured
    stream, level), so that a command-line test leaves later tests' log capture intact."""
    logger = logging.getLogger("zoning")
    handlers, level, propagate = logger.handlers[:], logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


def boxes(n: int = 3, size: float = 100.0, x0: float = 536_000.0, y0: float = 3_807_000.0):
    """``n`` adjacent square parcels in EPSG:4548."""
    return [shapely.box(x0 + i * size, y0, x0 + (i + 1) * size, y0 + size) for i in range(n)]


@pytest.fixture
def tiny_project(tmp_path: Path) -> Path:
    """A three-parcel project with one subsidence polygon, written as GeoPackages."""
    parcels = gpd.GeoDataFrame(
        {"BSM": ["a", "b", "c"], "DLBM": ["0101", "0103", "0702"]},
        geometry=boxes(), crs="EPSG:4548",
    )
    parcels.to_file(tmp_path / "parcels.gpkg", layer="parcels")
    subs = gpd.GeoDataFrame(
        {"depth_m": [1.0, 3.0]},
        geometry=[shapely.box(536_050, 3_807_000, 536_300, 3_807_100),
                  shapely.box(536_200, 3_807_000, 536_300, 3_807_100)],
        crs="EPSG:4548",
    )
    subs.to_file(tmp_path / "subsidence.gpkg", layer="contours")
    project = {
        "schema_version": 1, "name": "tiny", "title": "tiny test", "crs": "auto",
        "layers": {
            "parcels": {"path": "parcels.gpkg", "layer": "parcels",
                        "fields": {"id": "BSM", "landuse": "DLBM"}},
            "subsidence": {"form": "polygons", "path": "subsidence.gpkg", "layer": "contours"},
        },
        "groundwater": {"depth_m": 2.5},
    }
    path = tmp_path / "project.yaml"
    path.write_text(yaml.safe_dump(project), encoding="utf-8")
    return path


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A copy of the demo project folder (to break it without touching the original)."""
    target = tmp_path / "demo"
    shutil.copytree(demo_project().parent, target)
    return target / "project.yaml"


@pytest.fixture(scope="session")
def demo_result():
    """The demo's stages run once for the session (no outputs written)."""
    from zoning.engine import prepare, run_stages
    return run_stages(prepare(), progress=False)
