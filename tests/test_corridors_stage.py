"""The corridor stage: sources, corridors, levels, nodes and parcel columns."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml
from pyproj import CRS

from zoning import columns as col
from zoning.corridors import stage as corridor_stage
from zoning.layers import LayerSet
from zoning.rules.ruleset import default_rule_paths, load_rules

CRS_ = CRS(4548)
X0, Y0 = 536_100.0, 3_807_000.0
SIDE = 60.0  # parcel side (m): 2 × 2 cells of 30 m


def _landscape(wall: bool = True) -> gpd.GeoDataFrame:
    """Two forest blocks joined by a grassland band that narrows to one parcel in the middle.

    Everything else is industrial land. With ``wall`` the narrow stretch holds one industrial
    parcel: the only way through costs more there than anywhere else.
    """
    rows, cols = 15, 30
    grid = np.full((rows, cols), "industrial", dtype=object)
    grid[:, :5] = grid[:, 25:] = "forest"
    grid[5:10, 5:12] = grid[5:10, 18:25] = "grassland"
    grid[7, 12:18] = "grassland"
    if wall:
        grid[7, 15] = "industrial"
    r, c = np.mgrid[0:rows, 0:cols]
    geoms = shapely.box(X0 + c * SIDE, Y0 - (r + 1) * SIDE, X0 + (c + 1) * SIDE, Y0 - r * SIDE)
    ids = [f"r{i}c{j}" for i, j in zip(r.ravel(), c.ravel(), strict=True)]
    return gpd.GeoDataFrame({col.LAND_CLASS: grid.ravel()}, geometry=geoms.ravel(), crs=CRS_,
                            index=ids)


def _rules(tmp_path: Path, sources: dict | None = None, **changes: object):
    spec = yaml.safe_load(default_rule_paths()["corridors"].read_text(encoding="utf-8"))
    spec["resistance"] = {"scale": [1, 100], "factors": [{
        "id": "landuse", "label": {"zh": "地类", "en": "Land use"}, "value": "land_class",
        "score": {"function": "categorical",
                  "scores": {"forest": 0.0, "grassland": 0.1, "industrial": 1.0}},
        "weight": 1.0, "source": "test"}]}
    spec["sources"] = {"method": "parcels", "where": "land_class == 'forest'",
                       "min_area_ha": 5, "source": "test", **(sources or {})}
    spec["corridors"] = {"candidates": "adjacency", "width": 2000,
                         "levels": {"important_quantile": 0.5}}
    spec["barriers"] = {"radii_m": [30, 60], "top_share": 0.05}
    spec.update(changes)
    path = tmp_path / "corridors.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return load_rules({"corridors": path})


def _run(parcels, rules):
    return corridor_stage.run(parcels, rules, LayerSet(crs=CRS_, parcels=parcels))


@pytest.fixture(scope="module")
def landscape_run(tmp_path_factory):
    parcels = _landscape()
    return parcels, _run(parcels, _rules(tmp_path_factory.mktemp("rules")))


def test_forest_blocks_are_the_two_sources(landscape_run):
    parcels, out = landscape_run
    assert len(out.layers["sources"]) == 2
    assert out.layers["sources"]["area_ha"].tolist() == pytest.approx([27.0, 27.0])
    forest = parcels[col.LAND_CLASS] == "forest"
    assert out.columns[col.IS_SOURCE].equals(forest)


def test_one_link_whose_path_follows_the_band(landscape_run):
    parcels, out = landscape_run
    links = out.tables[corridor_stage.LINKS_TABLE]
    assert links[["core_a", "core_b"]].values.tolist() == [[1, 2]]
    line = out.layers["corridors"].geometry.iloc[0]
    band = parcels[parcels[col.LAND_CLASS] != "industrial"].union_all()
    wall = parcels.loc["r7c15"].geometry
    # the path runs inside forest and grassland except where it must cross the wall
    assert line.difference(band).difference(wall.buffer(1)).length < 1.0
    assert line.intersects(wall)


def test_normalized_corridor_is_zero_on_the_path(landscape_run):
    _, out = landscape_run
    corridor = out.grids["corridor"]
    line = out.layers["corridors"].geometry.iloc[0]
    xs, ys = shapely.get_coordinates(line).T
    cols, rows = ~corridor.transform @ (xs, ys)
    on_path = corridor.values[np.floor(rows).astype(int), np.floor(cols).astype(int)]
    assert np.allclose(on_path, 0.0, atol=1e-6)
    assert np.nanmax(corridor.values) <= 2000 + 1e-9


def test_corridor_parcels_are_the_band(landscape_run):
    parcels, out = landscape_run
    inside = out.columns[col.IN_CORRIDOR]
    assert inside.any()
    assert (out.columns[col.CORRIDOR_LEVEL].notna() == inside).all()
    assert set(parcels.loc[inside, col.LAND_CLASS]) <= {"grassland", "industrial"}
    assert inside["r7c13"] and inside["r7c16"] and not inside["r0c15"]


def test_wall_is_the_barrier_and_the_narrows_hold_the_pinch_points(landscape_run):
    _, out = landscape_run
    nodes = out.columns[col.NODE_TYPE]
    assert nodes["r7c15"] == "barrier"
    pinch = nodes[nodes == "pinch_point"].index
    assert len(pinch) >= 1
    assert all(i.startswith("r7c1") and 12 <= int(i[3:]) <= 17 for i in pinch), list(pinch)


def test_without_wall_there_is_no_barrier(tmp_path, landscape_run):
    parcels = _landscape(wall=False)
    out = _run(parcels, _rules(tmp_path))
    # restoring grassland to resistance 1 still improves the path a little everywhere, but
    # no cell stands out as it does with the wall: the best score is far lower
    _, with_wall = landscape_run
    assert (np.nanmax(out.grids["barrier_improvement"].values)
            < 0.2 * np.nanmax(with_wall.grids["barrier_improvement"].values))


def test_rank_by_area_keeps_the_largest(tmp_path):
    parcels = _landscape()
    grid_classes = parcels[col.LAND_CLASS].copy()
    grid_classes.loc[[f"r{r}c{c}" for r in range(0, 4) for c in range(12, 18)]] = "forest"
    parcels = parcels.assign(**{col.LAND_CLASS: grid_classes})
    rules = _rules(tmp_path, sources={"rank": {"by": "area_ha", "top": 2}})
    out = _run(parcels, rules)
    assert out.layers["sources"]["area_ha"].tolist() == pytest.approx([27.0, 27.0])
    assert not out.columns.loc["r0c12", col.IS_SOURCE]


def test_rank_by_dpc_prefers_the_stepping_stone_less_than_big_blocks(tmp_path):
    parcels = _landscape()
    classes = parcels[col.LAND_CLASS].copy()
    classes.loc[[f"r{r}c{c}" for r in range(0, 4) for c in range(12, 18)]] = "forest"
    parcels = parcels.assign(**{col.LAND_CLASS: classes})
    rules = _rules(tmp_path, sources={"rank": {"by": "dPC", "top": 3},
                                      "connectivity": {"distance_m": 500, "probability": 0.5,
                                                       "threshold_m": 500}})
    out = _run(parcels, rules)
    table = out.tables[corridor_stage.SOURCES_TABLE].set_index("source_id")
    assert len(table) == 3
    big = table[table["area_ha"] > 20]
    assert (big["dPC"] > table.loc[table["area_ha"] < 20, "dPC"].max()).all()


def test_mspa_cores_as_sources(tmp_path):
    parcels = _landscape()
    rules = _rules(tmp_path, sources={"method": "mspa", "min_area_ha": 5})
    out = _run(parcels, rules)
    sources = out.layers["sources"]
    assert len(sources) == 2
    # edge width 1 at 30 m: each 300 m × 900 m block loses its one-cell rim... except on the
    # map border, which MSPA does not treat as an edge
    assert (sources["area_ha"] < 27.0).all() and (sources["area_ha"] > 20.0).all()
    is_source = out.columns[col.IS_SOURCE]
    assert set(parcels.loc[is_source, col.LAND_CLASS]) == {"forest"}


def test_too_few_sources_leave_the_network_out(tmp_path, caplog):
    parcels = _landscape()
    rules = _rules(tmp_path, sources={"min_area_ha": 100})
    with caplog.at_level(logging.WARNING):
        out = _run(parcels, rules)
    assert "corridors need two" in caplog.text
    assert not out.columns[col.IN_CORRIDOR].any()
    assert out.columns[col.NODE_TYPE].isna().all()
    assert "resistance" in out.grids


# --- the demo ----------------------------------------------------------------------------

def test_demo_network_columns_and_layers(demo_result):
    parcels = demo_result.parcels
    assert parcels[col.IS_SOURCE].dtype == bool and parcels[col.IN_CORRIDOR].dtype == bool
    assert set(parcels[col.CORRIDOR_LEVEL].dropna()) == set(col.CORRIDOR_LEVELS)
    assert set(parcels[col.NODE_TYPE].dropna()) <= set(col.NODE_TYPES)
    habitat = {"forest", "shrub", "wetland", "river", "lake", "reservoir", "grassland"}
    assert set(parcels.loc[parcels[col.IS_SOURCE], col.LAND_CLASS]) <= habitat
    for name in ("sources", "corridors", "corridor_areas", "nodes"):
        layer = demo_result.layers[name]
        assert len(layer) > 0 and layer.crs == parcels.crs, name
    for name in ("resistance", "cost_distance", "corridor", "current_density",
                 "barrier_improvement"):
        assert name in demo_result.grids


def test_demo_gravity_follows_the_formula_and_splits_at_the_median(demo_result):
    links = demo_result.tables[corridor_stage.LINKS_TABLE]
    sources = demo_result.tables[corridor_stage.SOURCES_TABLE].set_index("source_id")
    s = sources["area_ha"] * 10_000
    p = sources["mean_resistance"]
    lmax = links["lcd"].max()
    a, b = links["core_a"], links["core_b"]
    expected = (lmax ** 2 * np.log(s[a].to_numpy()) * np.log(s[b].to_numpy())
                / (links["lcd"] ** 2 * p[a].to_numpy() * p[b].to_numpy()))
    assert np.allclose(links["gravity"], expected)
    important = links[col.CORRIDOR_LEVEL] == "important"
    assert (important == (links["gravity"] >= links["gravity"].median())).all()


def test_demo_twelve_sources_by_dpc(demo_result):
    sources = demo_result.tables[corridor_stage.SOURCES_TABLE]
    assert len(sources) == 12
    assert (sources["area_ha"] >= 10).all()
