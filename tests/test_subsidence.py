"""Probability-integral prediction against its closed-form results, and the subsidence CLI."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import rasterio
import shapely
import shapely.affinity
from affine import Affine
from scipy.special import erf

from tests.conftest import shared
from zoning.cli import main
from zoning.errors import LayerError
from zoning.subsidence import PimParameters, predict
from zoning.subsidence._kernel import polygon_influence

M, H, TAN_BETA, Q, B = 3.0, 300.0, 2.0, 0.8, 0.3
R = H / TAN_BETA
PARAMS = PimParameters(q=Q, tan_beta=TAN_BETA, b=B, s_ratio=0.0)


def panels(*geoms: shapely.Geometry, dip: float = 0.0, **extra: float) -> gpd.GeoDataFrame:
    n = len(geoms)
    data = {"thickness_m": [M] * n, "depth_m": [H] * n, "dip_deg": [dip] * n}
    data.update({k: [v] * n for k, v in extra.items()})
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs="EPSG:4548")


def centred_grid(x0: float, y1: float, cell: float, rows: int, cols: int):
    """A grid whose cell centres fall on multiples of ``cell`` from (x0, y1)."""
    return Affine(cell, 0, x0 - cell / 2, 0, -cell, y1 + cell / 2), (rows, cols)


def cross_section(grid, y: float) -> tuple[np.ndarray, np.ndarray]:
    row = round((grid.transform.f - y) / -grid.transform.e - 0.5)
    xs = grid.transform.c + grid.transform.a * (np.arange(grid.values.shape[1]) + 0.5)
    return xs, grid.values[row]


# --- closed-form results on a supercritical rectangular panel ----------------------------


@pytest.fixture(scope="module")
def supercritical():
    # 3 km × 3 km panel, r = 150 m: both sides are 20 r. The grid is a 400 m strip across
    # the panel's middle (y = 1300..1700 m, every x of the basin), not the whole 5 km square:
    # the cross sections are read at y = 1500, and the strip holds the maxima of W, tilt and
    # displacement (along the panel's sides, more than 8 r from its corners).
    grid = centred_grid(-1000, 1700, 2.0, 201, 2501)
    return predict(panels(shapely.box(0, 0, 3000, 3000)), PARAMS, grid=grid)


def test_maximum_subsidence_is_m_q_cos_alpha(supercritical):
    xs, w = cross_section(supercritical.subsidence, 1500)
    assert w[np.argmin(abs(xs - 1500))] == pytest.approx(M * Q, rel=1e-9)


def test_half_the_maximum_at_the_inflection_point(supercritical):
    xs, w = cross_section(supercritical.subsidence, 1500)
    assert w[np.argmin(abs(xs - 0.0))] == pytest.approx(M * Q / 2, rel=1e-6)


@pytest.mark.parametrize(("name", "expected"), [
    ("tilt", 1000 * M * Q / R),                          # W/r, mm/m
    ("curvature", 1000 * 1.52 * M * Q / R**2),           # 1.52 W/r², 1/m → 1/km
    ("strain", 1000 * 1.52 * B * M * Q / R),             # 1.52 b W/r, mm/m
])
def test_cross_section_extremes(supercritical, name, expected):
    _, values = cross_section(getattr(supercritical, name), 1500)
    assert np.abs(values).max() == pytest.approx(expected, rel=0.01)


def test_units_of_the_grids(supercritical):
    # W0 = 2.4 m, r = 150 m: tilt 16 mm/m, curvature 0.162 /km, strain 7.3 mm/m
    _, tilt = cross_section(supercritical.tilt, 1500)
    _, curvature = cross_section(supercritical.curvature, 1500)
    _, strain = cross_section(supercritical.strain, 1500)
    assert np.abs(tilt).max() == pytest.approx(16.0, abs=0.01)
    assert np.abs(curvature).max() == pytest.approx(0.162, abs=0.001)
    assert np.abs(strain).max() == pytest.approx(7.30, abs=0.01)


def test_displacement_is_b_r_times_tilt(supercritical):
    ratio = supercritical.displacement.values.max() / supercritical.tilt.values.max()
    assert ratio == pytest.approx(B * R, rel=1e-9)


def test_dip_reduces_w_by_cos_alpha_and_shifts_the_basin_down_dip():
    dip = 20.0
    theta = 90 - 0.68 * dip
    shift = H / math.tan(math.radians(theta))
    grid = centred_grid(-1000, 4000, 5.0, 1001, 1001)
    d = predict(panels(shapely.box(0, 0, 3000, 3000), dip=dip, dip_dir_deg=90.0), PARAMS,
                grid=grid)
    xs, w = cross_section(d.subsidence, 1500)
    assert w.max() == pytest.approx(M * Q * math.cos(math.radians(dip)), rel=1e-9)
    half = xs[np.argmin(abs(w[: len(w) // 2] - w.max() / 2))]
    assert half == pytest.approx(shift, abs=5.0)


def test_subcritical_panel_gives_less_than_the_maximum():
    narrow = predict(panels(shapely.box(0, 0, 2 * R, 3000)), PARAMS, resolution_m=5)
    assert narrow.subsidence.values.max() < 0.99 * M * Q
    # closed form at the panel's centre line: W0 · erf(√π · r / r)
    assert narrow.subsidence.values.max() == pytest.approx(M * Q * erf(math.sqrt(math.pi)),
                                                           rel=1e-3)


# --- exactness over polygons --------------------------------------------------------------


def _rect_closed_form(x, y, length, width, angle):
    def c(u, a, b):
        k = math.sqrt(math.pi) / R
        return 0.5 * (erf(k * (u - a)) - erf(k * (u - b)))

    u = x * math.cos(angle) + y * math.sin(angle)
    v = -x * math.sin(angle) + y * math.cos(angle)
    return c(u, -length / 2, length / 2) * c(v, -width / 2, width / 2)


def test_rotated_rectangle_matches_the_erf_product_to_machine_precision():
    rect = shapely.affinity.rotate(shapely.box(-600, -150, 600, 150), 30, origin=(0, 0))
    transform, shape = Affine(10, 0, -1500, 0, -10, 1500), (300, 300)
    inf = polygon_influence(rect, R, transform, shape)
    xs = -1500 + 5 + 10 * np.arange(300)
    gx, gy = np.meshgrid(xs, xs[::-1])
    np.testing.assert_allclose(inf.w, _rect_closed_form(gx, gy, 1200, 300, math.radians(30)),
                               atol=1e-10)


def test_superposition_adjacent_panels_equal_their_union():
    grid = centred_grid(-800, 1800, 10.0, 300, 400)
    a, b = shapely.box(0, 0, 1200, 1000), shapely.box(1200, 0, 2400, 700)
    both = predict(panels(a, b), PARAMS, grid=grid)
    union = predict(panels(shapely.union(a, b)), PARAMS, grid=grid)
    for name, grid_both in both.grids().items():
        np.testing.assert_allclose(grid_both.values, union.grids()[name].values, atol=1e-7)


def test_polygon_with_a_hole_is_the_outer_minus_the_hole():
    grid = centred_grid(-600, 2600, 10.0, 320, 320)
    outer, hole = shapely.box(0, 0, 2000, 2000), shapely.box(600, 700, 1300, 1500)
    holed = predict(panels(shapely.Polygon(outer.exterior, [hole.exterior])), PARAMS, grid=grid)
    whole = predict(panels(outer), PARAMS, grid=grid)
    only_hole = predict(panels(hole), PARAMS, grid=grid)
    np.testing.assert_allclose(holed.subsidence.values,
                               whole.subsidence.values - only_hole.subsidence.values, atol=1e-7)


def test_inflection_offset_shrinks_the_panel():
    grid = centred_grid(-600, 2600, 10.0, 320, 320)
    offset = predict(panels(shapely.box(0, 0, 2000, 2000)), PimParameters(
        q=Q, tan_beta=TAN_BETA, s_m=50.0), grid=grid)
    shrunk = predict(panels(shapely.box(50, 50, 1950, 1950)), PARAMS, grid=grid)
    np.testing.assert_allclose(offset.subsidence.values, shrunk.subsidence.values, atol=1e-7)


def test_per_panel_fields_override_the_defaults():
    grid = centred_grid(-600, 2600, 20.0, 160, 160)
    box = shapely.box(0, 0, 2000, 2000)
    default = predict(panels(box), PARAMS, grid=grid).subsidence.values.max()
    own = predict(panels(box, q=0.4), PARAMS, grid=grid).subsidence.values.max()
    assert own == pytest.approx(default / 2, rel=1e-9)


def test_missing_panel_fields_are_named_with_a_hint():
    frame = panels(shapely.box(0, 0, 100, 100)).rename(columns={"thickness_m": "thickness"})
    with pytest.raises(LayerError, match=r"thickness_m.*thickness"):
        predict(frame, PARAMS)


def test_impossible_parameters_are_rejected():
    with pytest.raises(ValueError, match="tan_beta"):
        PimParameters(tan_beta=0)


# --- CLI ----------------------------------------------------------------------------------


def test_cli_predict_writes_every_grid_and_the_contours(tmp_path):
    source = tmp_path / "panels.gpkg"
    frame = panels(shapely.box(0, 0, 1500, 250), shapely.box(0, 300, 1500, 550))
    frame.rename(columns={"thickness_m": "HOUDU"}).to_file(source, layer="panels")
    out = tmp_path / "pred"
    assert main(["-q", "subsidence", "predict", str(source), "--out", str(out),
                 "--resolution", "20", "--q", "0.8", "--field", "thickness_m=HOUDU"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"subsidence.tif", "tilt.tif", "strain.tif", "curvature.tif", "displacement.tif",
            "contours.gpkg", "panels.csv", "bands.csv"} <= names
    with rasterio.open(out / "subsidence.tif") as src:
        assert 0 < src.read(1).max() <= M * 0.8 + 1e-6
    contours = gpd.read_file(out / "contours.gpkg")
    assert contours.is_valid.all()
    assert contours["depth_m"].is_monotonic_increasing
    # nested: each deeper level lies inside the one above
    for shallow, deep in zip(contours.geometry[:-1], contours.geometry[1:], strict=True):
        assert shapely.area(shapely.difference(deep, shallow)) < 1e-6 * shapely.area(deep)


def test_cli_predict_reports_a_missing_field(tmp_path, capsys):
    source = tmp_path / "panels.gpkg"
    panels(shapely.box(0, 0, 100, 100)).drop(columns="depth_m").to_file(source)
    assert main(["subsidence", "predict", str(source), "--out", str(tmp_path / "o")]) == 1
    assert "depth_m" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.realdata
@pytest.mark.slow
def test_real_huainan_mine_boundaries_as_panels(tmp_path):
    path = shared("gem", "subset_huainan.geojson")
    mines = pyogrio.read_dataframe(path)
    mines = mines[mines["mine feature category"] == "mine boundary"]
    assert len(mines) == 7
    frame = mines[["geometry"]].assign(thickness_m=3.0, depth_m=600.0, dip_deg=0.0)
    source = tmp_path / "huainan.gpkg"
    frame.to_file(source)
    out = tmp_path / "pred"
    assert main(["-q", "subsidence", "predict", str(source), "--out", str(out),
                 "--resolution", "50"]) == 0
    contours = gpd.read_file(out / "contours.gpkg")
    assert contours.is_valid.all() and len(contours) >= 5
    bands = __import__("pandas").read_csv(out / "bands.csv")
    with rasterio.open(out / "subsidence.tif") as src:
        w = src.read(1)
        cell = src.res[0] * src.res[1]
    # the band table accounts for every cell of the basin
    assert bands["area_ha"].sum() == pytest.approx((w >= 0.01).sum() * cell / 1e4)
    # large mines: the full W0 = m q is reached in their interiors
    assert w.max() == pytest.approx(3.0 * 0.9, rel=1e-6)
    print(bands.to_string())
