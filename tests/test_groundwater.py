"""Groundwater depth from a raster: loading, checks, and the water columns it gives."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from affine import Affine
from conftest import boxes
from pyproj import CRS

from zoning import columns as col
from zoning.engine import prepare, run_stages
from zoning.errors import ValidationFailed
from zoning.layers.grid import Grid
from zoning.runner import run
from zoning.subsidence.stage import PONDING

X0, Y0 = 536_000.0, 3_807_000.0  # lower left corner of the three 100 m parcels a, b, c
MARGIN = 40.0
WATER = [col.GW_BEFORE_M, col.GW_AFTER_M, col.PONDED_SHARE, col.POND_DEPTH_M,
         col.SEASONAL_SHARE]


def write_grid(path: Path, value: Callable[[np.ndarray, np.ndarray], np.ndarray],
               cell: float, x0: float = X0) -> Path:
    """A raster over the parcels plus a margin; ``value(x, y)`` of the cell centres, local."""
    cols, rows = round((300 + 2 * MARGIN) / cell), round((100 + 2 * MARGIN) / cell)
    transform = Affine(cell, 0, x0 - MARGIN, 0, -cell, Y0 + 100 + MARGIN)
    x = (np.arange(cols) + 0.5) * cell - MARGIN
    y = 100 + MARGIN - (np.arange(rows) + 0.5) * cell
    xx, yy = np.meshgrid(x, y)
    return Grid(value(xx, yy).astype("float64"), transform, CRS.from_epsg(4548)).write(path)


def project(folder: Path, groundwater: dict, name: str = "gw") -> Path:
    """Parcels a, b, c (x 0-100, 100-200, 200-300 m) over ``w.tif``, with ``groundwater``."""
    if not (folder / "parcels.gpkg").exists():
        gpd.GeoDataFrame({"BSM": ["a", "b", "c"], "DLBM": ["0101", "0101", "0101"]},
                         geometry=boxes(), crs="EPSG:4548").to_file(folder / "parcels.gpkg")
    spec = {"schema_version": 1, "name": name, "title": "groundwater raster", "crs": "auto",
            "layers": {"parcels": {"path": "parcels.gpkg", "fields": {"id": "BSM",
                                                                       "landuse": "DLBM"}},
                       "subsidence": {"form": "raster", "path": "w.tif"}},
            "groundwater": groundwater}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def slope(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Water table 1 m deep at x = 0, 1 m deeper every 50 m eastwards."""
    return 1 + x / 50


def flat_w(metres: float) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    return lambda x, y: np.full(x.shape, metres)


def water_columns(path: Path) -> pd.DataFrame:
    return run_stages(prepare(path), progress=False).parcels[WATER]


@pytest.fixture
def sloping(tmp_path: Path) -> Path:
    """W = 2 m everywhere; the water table slopes, on a 20 m raster (sampled onto 10 m)."""
    write_grid(tmp_path / "w.tif", flat_w(2.0), 10)
    write_grid(tmp_path / "gw.tif", slope, 20)
    return project(tmp_path, {"path": "gw.tif"})


def test_sloping_water_table_gives_hand_checked_shares(sloping: Path):
    result = run_stages(prepare(sloping), progress=False)
    got = result.parcels[WATER]
    # parcel a: cell centres x = 5 ... 95, g = 1.1 ... 2.9; W = 2 reaches g up to x = 50:
    # five of ten columns ponded (water up to 0.9 m), the other five within 1 m (seasonal)
    expected = pd.DataFrame({
        col.GW_BEFORE_M: [2.0, 4.0, 6.0],
        col.GW_AFTER_M: [1.1 - 2, 3.1 - 2, 5.1 - 2],
        col.PONDED_SHARE: [0.5, 0.0, 0.0],
        col.POND_DEPTH_M: [0.9, 0.0, 0.0],
        col.SEASONAL_SHARE: [0.5, 0.0, 0.0],
    }, index=pd.Index(["a", "b", "c"], name=col.PARCEL_ID))
    pd.testing.assert_frame_equal(got, expected, atol=1e-5)
    ponding = result.layers[PONDING]
    inside = ponding.intersection(gpd.GeoSeries(boxes(), crs=ponding.crs).union_all())
    assert inside.area.sum() == pytest.approx(50 * 100)
    assert set(result.grids) >= {"subsidence", "groundwater"}
    assert result.grids["groundwater"].transform == result.grids["subsidence"].transform


def test_groundwater_in_mm_gives_the_same_columns(sloping: Path):
    write_grid(sloping.parent / "gw_mm.tif", lambda x, y: 1000 * slope(x, y), 20)
    mm = project(sloping.parent, {"path": "gw_mm.tif", "units": "mm"}, name="mm")
    pd.testing.assert_frame_equal(water_columns(mm), water_columns(sloping), atol=1e-6)


def test_constant_raster_gives_the_columns_of_depth_m(tmp_path: Path):
    # parcel b has fallen exactly to the seasonal band's edge (1.5 m), c exactly to the
    # 2.5 m water table (ponded, 0 m of water): resampling noise must not move them
    write_grid(tmp_path / "w.tif", lambda x, y: np.select([x > 200, x > 100], [2.5, 1.5]), 10)
    write_grid(tmp_path / "gw.tif", flat_w(2.5), 25, x0=X0 + 3)  # not on the W cells
    constant = water_columns(project(tmp_path, {"depth_m": 2.5}, name="constant"))
    raster = water_columns(project(tmp_path, {"path": "gw.tif"}, name="raster"))
    pd.testing.assert_frame_equal(raster, constant, atol=1e-9)
    assert constant[col.PONDED_SHARE].tolist() == [0.0, 0.0, 1.0]
    assert constant[col.SEASONAL_SHARE].tolist() == [0.0, 1.0, 0.0]
    assert constant[col.GW_AFTER_M].tolist() == [2.5, 1.0, 0.0]


def test_run_writes_the_groundwater_raster_and_its_checksum(sloping: Path):
    out = run(sloping, sloping.parent / "out", progress=False)
    with rasterio.open(out / "groundwater.tif") as src, \
            rasterio.open(out / "subsidence.tif") as w:
        assert src.transform == w.transform
        assert src.read(1)[10, 4] == pytest.approx(1.1)  # cell centre x = 5 m
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["inputs"]["groundwater"]
    assert entry["path"] == str(sloping.parent / "gw.tif")
    assert len(entry["sha256"]) == 64


def test_raster_outside_the_parcels_is_an_error(tmp_path: Path):
    write_grid(tmp_path / "w.tif", flat_w(2.0), 10)
    write_grid(tmp_path / "far.tif", slope, 20, x0=X0 + 50_000)
    with pytest.raises(ValidationFailed) as info:
        prepare(project(tmp_path, {"path": "far.tif"}))
    [problem] = info.value.problems
    assert problem.where == "groundwater"
    assert "far.tif does not overlap the parcels" in problem.message


def test_missing_and_negative_depths_are_problems_with_counts(tmp_path: Path):
    def holes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        g = slope(x, y)
        g[(x > 20) & (x < 40) & (y > 20) & (y < 40)] = np.nan     # 4 cells in parcel a
        g[(x > 130) & (x < 150) & (y > 50) & (y < 60)] = -0.5     # 2 cells in parcel b
        g[(x < 0) & (y < 0)] = np.nan                              # outside every parcel
        return g

    write_grid(tmp_path / "w.tif", flat_w(2.0), 10)
    write_grid(tmp_path / "gw.tif", holes, 10)
    with pytest.raises(ValidationFailed) as info:
        prepare(project(tmp_path, {"path": "gw.tif"}))
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 2, messages
    assert "4 cell(s) under 1 parcel(s) have no value (NaN or nodata)" in messages[0]
    assert "(parcels a)" in messages[0] and "gw.tif" in messages[0]
    assert "2 cell(s) under 1 parcel(s) have a depth of 0 or less" in messages[1]
    assert "lowest -0.5 m" in messages[1] and "(parcels b)" in messages[1]


def test_raster_smaller_than_the_parcels_is_a_problem(tmp_path: Path):
    write_grid(tmp_path / "w.tif", flat_w(2.0), 10)
    grid = Grid(np.full((10, 10), 2.0), Affine(10, 0, X0, 0, -10, Y0 + 100), CRS(4548))
    grid.write(tmp_path / "small.tif")  # covers parcel a only
    with pytest.raises(ValidationFailed, match=r"2 of 3 parcel\(s\) reach beyond the raster "
                                               r"\(e\.g\. b, c\)"):
        prepare(project(tmp_path, {"path": "small.tif"}))


@pytest.mark.parametrize(("groundwater", "needle"), [
    ({"depth_m": 2.5, "path": "gw.tif"}, "both are given"),
    ({"units": "m"}, "neither is given"),
    ({"depth_m": 2500, "units": "mm"}, "'units' applies to a groundwater raster"),
])
def test_groundwater_needs_exactly_one_of_path_or_depth(tmp_path: Path, groundwater: dict,
                                                        needle: str):
    with pytest.raises(ValidationFailed) as info:
        prepare(project(tmp_path, groundwater))
    [problem] = info.value.problems
    assert problem.where.startswith(f"{tmp_path / 'gw.yaml'}:")
    assert "groundwater:" in problem.message and needle in problem.message
    if "units" not in needle:
        assert "'path'" in problem.message and "'depth_m'" in problem.message
