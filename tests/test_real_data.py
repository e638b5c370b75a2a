"""Runs on real data nobody here wrote: GEM coal-mine boundaries (EPSG:4326) and OSM roads."""

from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from conftest import shared

from zoning import columns as col
from zoning.engine import prepare, run_stages
from zoning.layers.roads import main_roads, osm_road_lines, read_osm_graph

pytestmark = pytest.mark.realdata

# A user with other codes supplies a mapping, not a new engine: GEM's feature subcategory
# becomes the land-use code of the mine boundary polygons.
LANDUSE = """
schema_version: 1
kind: landuse
standard: GEM mine feature subcategory
land_classes:
  mining: {label: {zh: 采矿用地, en: Mining}}
construction_classes: [mining]
codes:
  - {code: underground, name_zh: 井工矿, name_en: Underground mine, l1: "06", land_class: mining}
  - {code: surface, name_zh: 露天矿, name_en: Surface mine, l1: "06", land_class: mining}
"""


def _project(folder: Path, parcels: Path) -> Path:
    (folder / "landuse.yaml").write_text(LANDUSE, encoding="utf-8")
    project = {
        "schema_version": 1, "name": "gem", "title": "GEM mine boundaries", "crs": "auto",
        "layers": {"parcels": {"path": str(parcels),
                               "select": {"mine feature category": ["mine boundary"]},
                               "fields": {"id": "id", "landuse": "mine feature subcategory"}}},
        "rules": {"landuse": "landuse.yaml"},
        # GEM's Huainan concessions overlap by 17.3 ha (boundaries digitised mine by mine;
        # tests/test_topology.py): run on knowingly
        "qc": {"accept_overlaps": True},
    }
    path = folder / "project.yaml"
    path.write_text(yaml.safe_dump(project, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("subset", ["subset_huainan.geojson",
                                    "subset_xuzhou_zaozhuang_huaibei.geojson"])
def test_gem_mine_boundaries_run_in_a_gauss_kruger_crs(tmp_path, subset):
    source = shared("gem", subset)
    result = run_stages(prepare(_project(tmp_path, source)), progress=False)
    parcels = result.parcels
    raw = gpd.read_file(source)
    boundaries = raw[raw["mine feature category"] == "mine boundary"]
    assert len(parcels) == len(boundaries)
    assert result.prepared.layers.crs.to_epsg() in {4547, 4548}  # CM 114E or 117E
    # areas agree with an equal-area projection of the same polygons
    expected = boundaries.to_crs("EPSG:6933").area.sum() / 1e4
    assert parcels[col.AREA_HA].sum() == pytest.approx(expected, rel=2e-3)
    assert parcels[col.ZONE].notna().all() and parcels[col.RESTORATION_MODE].notna().all()


def test_other_format_and_crs(tmp_path):
    # the same polygons as a Shapefile in Web Mercator: reprojected and measured the same
    source = shared("gem", "subset_huainan.geojson")
    raw = gpd.read_file(source)
    raw = raw[raw["mine feature category"] == "mine boundary"][["id", "mine feature subcategory",
                                                                 "mine feature category",
                                                                 "geometry"]]
    raw.columns = ["id", "subcat", "category", "geometry"]
    raw.to_crs("EPSG:3857").to_file(tmp_path / "mines.shp")
    path = _project(tmp_path, tmp_path / "mines.shp")
    text = path.read_text(encoding="utf-8").replace("mine feature subcategory", "subcat")
    text = text.replace("mine feature category", "category")
    path.write_text(text, encoding="utf-8")
    prepared = prepare(path)
    # Web Mercator distorts areas (x1.4 here), so a measuring CRS is chosen instead
    assert prepared.layers.crs.to_epsg() == 4548
    assert len(prepared.layers.parcels) == 7
    expected = raw.to_crs("EPSG:6933").area.sum()
    assert prepared.layers.parcels.area.sum() == pytest.approx(expected, rel=2e-3)


def test_osm_roads_read_offline():
    lines = osm_road_lines(read_osm_graph(shared("osm", "West-Oakland.osm.bz2")))
    assert len(lines) > 100
    assert lines.crs.to_epsg() == 4326
    assert 0 < len(main_roads(lines)) <= len(lines)
