"""Tests of the SYNTHETIC demo-region generator and of the committed demo layers."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
import yaml

from zoning.synthetic import GROUNDWATER_DEPTH_M, generate_region
from zoning.synthetic.__main__ import main as cli_main

DEMO = Path(__file__).resolve().parents[1] / "layers" / "demo"
SMALL = 1500  # parcels: a 4.6 km region, big enough for one mine
SEED = 7

# GB/T 21010-2017 level-2 codes (土地利用现状分类, 二级类) and their names, written out here
# independently of the generator.
GBT_L2 = {
    "0101": "水田", "0102": "水浇地", "0103": "旱地",
    "0201": "果园", "0202": "茶园", "0203": "橡胶园", "0204": "其他园地",
    "0301": "乔木林地", "0302": "竹林地", "0303": "红树林地", "0304": "森林沼泽",
    "0305": "灌木林地", "0306": "灌丛沼泽", "0307": "其他林地",
    "0401": "天然牧草地", "0402": "沼泽草地", "0403": "人工牧草地", "0404": "其他草地",
    "0501": "零售商业用地", "0502": "批发市场用地", "0503": "餐饮用地", "0504": "旅馆用地",
    "0505": "商务金融用地", "0506": "娱乐用地", "0507": "其他商服用地",
    "0601": "工业用地", "0602": "采矿用地", "0603": "盐田", "0604": "仓储用地",
    "0701": "城镇住宅用地", "0702": "农村宅基地",
    "0801": "机关团体用地", "0802": "新闻出版用地", "0803": "教育用地", "0804": "科研用地",
    "0805": "医疗卫生用地", "0806": "社会福利用地", "0807": "文化设施用地", "0808": "体育用地",
    "0809": "公用设施用地", "0810": "公园与绿地",
    "0901": "军事设施用地", "0902": "使领馆用地", "0903": "监教场所用地", "0904": "宗教用地",
    "0905": "殡葬用地", "0906": "风景名胜设施用地",
    "1001": "铁路用地", "1002": "轨道交通用地", "1003": "公路用地", "1004": "城镇村道路用地",
    "1005": "交通服务场站用地", "1006": "农村道路", "1007": "机场用地", "1008": "港口码头用地",
    "1009": "管道运输用地",
    "1101": "河流水面", "1102": "湖泊水面", "1103": "水库水面", "1104": "坑塘水面",
    "1105": "沿海滩涂", "1106": "内陆滩涂", "1107": "沟渠", "1108": "沼泽地",
    "1109": "水工建筑用地", "1110": "冰川及永久积雪",
    "1201": "空闲地", "1202": "设施农用地", "1203": "田坎", "1204": "盐碱地", "1205": "沙地",
    "1206": "裸土地", "1207": "裸岩石砾地",
}  # fmt: skip

LAYERS = {
    "parcels.gpkg": "parcels",
    "subsidence.gpkg": "contours",
    "panels.gpkg": "panels",
    "mines.gpkg": "mines",
    "gangue.gpkg": "gangue",
    "towns.gpkg": "towns",
    "roads.gpkg": "roads",
    "redline.gpkg": "redline",
    "geohazard.gpkg": "geohazard",
    "boundary.gpkg": "boundary",
}


@pytest.fixture(scope="module")
def small_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same small region generated twice: once by the API, once by the command line."""
    a = tmp_path_factory.mktemp("region_a")
    b = tmp_path_factory.mktemp("region_b")
    generate_region(a, n_parcels=SMALL, seed=SEED)
    assert cli_main([str(b), "--parcels", str(SMALL), "--seed", str(SEED)]) == 0
    return a, b


def _read(path: Path, layer: str) -> tuple[pd.DataFrame, np.ndarray]:
    df = pyogrio.read_dataframe(path, layer=layer)
    geoms = np.asarray(df.geometry.to_numpy(), dtype=object)
    return pd.DataFrame(df.drop(columns="geometry")), geoms


def test_same_seed_gives_identical_layers(small_twice: tuple[Path, Path]) -> None:
    a, b = small_twice
    for name, layer in LAYERS.items():
        ta, ga = _read(a / name, layer)
        tb, gb = _read(b / name, layer)
        pd.testing.assert_frame_equal(ta, tb)
        assert list(shapely.to_wkb(ga)) == list(shapely.to_wkb(gb)), name
    with rasterio.open(a / "subsidence.tif") as ra, rasterio.open(b / "subsidence.tif") as rb:
        assert np.array_equal(ra.read(1), rb.read(1))
    assert (a / "roads.osm").read_bytes() == (b / "roads.osm").read_bytes()


def test_other_seed_gives_another_region(tmp_path: Path, small_twice: tuple[Path, Path]) -> None:
    generate_region(tmp_path, n_parcels=400, seed=SEED + 1, write_raster=False)
    assert not (tmp_path / "subsidence.tif").exists()
    other, _ = _read(tmp_path / "parcels.gpkg", "parcels")
    ours, _ = _read(small_twice[0] / "parcels.gpkg", "parcels")
    assert len(other) != len(ours) or not other.equals(ours)


def _check_tiling(path: Path) -> pd.DataFrame:
    df = pyogrio.read_dataframe(path / "parcels.gpkg", layer="parcels")
    geoms = np.asarray(df.geometry.to_numpy(), dtype=object)
    assert shapely.is_valid(geoms).all()
    assert set(shapely.get_type_id(geoms).tolist()) == {3}  # single polygons
    with rasterio.open(path / "subsidence.tif") as src:
        b = src.bounds
    region = (b.right - b.left) * (b.top - b.bottom)
    total = float(shapely.area(geoms).sum())
    union = float(shapely.union_all(geoms).area)
    assert total == pytest.approx(region, rel=1e-4)  # no gaps
    assert union == pytest.approx(total, rel=1e-4)  # no overlaps
    assert shapely.covers(shapely.box(*b).buffer(0.01), shapely.union_all(geoms))
    return df


def test_small_region_tiles_and_is_valid(small_twice: tuple[Path, Path]) -> None:
    df = _check_tiling(small_twice[0])
    assert df["BSM"].is_unique
    assert df["BSM"].str.fullmatch(r"JW\d{6}").all()
    assert (df["POP"] >= 0).all()
    assert set(df.loc[df["POP"] > 0, "DLBM"]) <= {"0701", "0702"}


def test_codes_are_gbt21010_level2(small_twice: tuple[Path, Path]) -> None:
    for path in (small_twice[0], DEMO):
        df = pyogrio.read_dataframe(path / "parcels.gpkg", layer="parcels", read_geometry=False)
        assert set(df["DLBM"]) <= set(GBT_L2)
        assert (df["DLMC"] == df["DLBM"].map(GBT_L2)).all()
        assert df["QSDWMC"].str.len().gt(0).all()
        assert df["ZLDWMC"].str.len().gt(0).all()


def test_small_region_has_a_mine(small_twice: tuple[Path, Path]) -> None:
    panels = pyogrio.read_dataframe(small_twice[0] / "panels.gpkg", layer="panels")
    assert len(panels) > 0
    with rasterio.open(small_twice[0] / "subsidence.tif") as src:
        assert float(src.read(1).max()) > 1.0


# --- the committed demo ------------------------------------------------------------------


def test_demo_files_exist_in_epsg4548() -> None:
    for name, layer in LAYERS.items():
        info = pyogrio.read_info(DEMO / name, layer=layer)
        assert info["crs"] == "EPSG:4548", name
        assert info["layer_metadata"]["synthetic"] == "true", name
    with rasterio.open(DEMO / "subsidence.tif") as src:
        assert src.crs.to_epsg() == 4548
        assert src.res == (10.0, 10.0)
        assert src.dtypes[0] == "float32"
    assert (DEMO / "roads.osm").stat().st_size > 0
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# SYNTHETIC DATA")
    assert f"a constant {GROUNDWATER_DEPTH_M} m below the ground" in readme
    project = yaml.safe_load((DEMO / "project.yaml").read_text(encoding="utf-8"))
    assert project["groundwater"]["depth_m"] == GROUNDWATER_DEPTH_M
    total = sum(p.stat().st_size for p in DEMO.iterdir() if p.name != "project.yaml")
    assert total < 6.5 * 2**20


def test_demo_parcels() -> None:
    df = _check_tiling(DEMO)
    assert 5000 <= len(df) <= 10_000
    assert df["BSM"].is_unique
    area = pd.Series(shapely.area(df.geometry.to_numpy()), index=df.index)
    share = area.groupby(df["DLBM"].str[:2]).sum() / area.sum()
    assert share.idxmax() == "01"
    assert 0.50 <= share["01"] <= 0.65
    for code in ("0101", "0102", "0103", "0201", "0301", "0305", "0404", "0601", "0602", "0701",
                 "0702", "1003", "1006", "1101", "1102", "1104", "1106", "1107", "1108", "1201",
                 "1202"):  # fmt: skip
        assert (df["DLBM"] == code).any(), code


def test_demo_subsidence() -> None:
    with rasterio.open(DEMO / "subsidence.tif") as src:
        w = src.read(1)
    assert 6.0 <= float(w.max()) <= 8.0
    assert float(w.min()) >= 0.0
    contours = pyogrio.read_dataframe(DEMO / "subsidence.gpkg", layer="contours")
    levels = sorted(set(contours["depth_m"]))
    assert levels[0] == pytest.approx(0.01)
    assert {0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0} <= set(levels)
    geoms = np.asarray(contours.geometry.to_numpy(), dtype=object)
    assert shapely.is_valid(geoms).all()
    # nested: each level lies inside the one above it
    for upper, lower in itertools.pairwise(levels):
        outer = shapely.union_all(geoms[contours["depth_m"].to_numpy() == upper])
        inner = shapely.union_all(geoms[contours["depth_m"].to_numpy() == lower])
        assert shapely.difference(inner, outer).area < 1.0


def test_demo_panels_and_mines() -> None:
    panels = pyogrio.read_dataframe(DEMO / "panels.gpkg", layer="panels")
    assert panels["panel_id"].is_unique
    assert panels["thickness_m"].between(2, 4).all()
    assert panels["depth_m"].between(300, 700).all()
    assert panels["dip_deg"].between(2, 15).all()
    assert set(panels["status"]) == {"closed", "producing"}
    producing = panels[panels["status"] == "producing"]
    assert (producing["end_year"].isna() | (producing["end_year"] >= 2026)).all()
    mines = pyogrio.read_dataframe(DEMO / "mines.gpkg", layer="mines")
    assert 3 <= len(mines) <= 4
    assert set(panels["mine"]) <= set(mines["mine"])
    assert set(mines["stage"]) <= {"producing", "closed"}
    assert (mines["type"] == "underground").all()
    gangue = pyogrio.read_dataframe(DEMO / "gangue.gpkg", layer="gangue")
    assert len(gangue) > 0 and (gangue["height_m"] > 0).all()
    towns = pyogrio.read_dataframe(DEMO / "towns.gpkg", layer="towns")
    assert 2 <= (towns["kind"] == "town").sum() <= 3
    assert (towns["pop"] >= 0).all()


def test_demo_roads_read_by_osmnx() -> None:
    ox = pytest.importorskip("osmnx")
    nx = pytest.importorskip("networkx")
    graph = ox.graph_from_xml(DEMO / "roads.osm", simplify=True, retain_all=True)
    assert graph.number_of_nodes() > 500
    largest = max(nx.weakly_connected_components(graph), key=len)
    assert len(largest) >= 0.95 * graph.number_of_nodes()
    highways = {d["highway"] for _, _, d in graph.edges(data=True) if isinstance(d["highway"], str)}
    assert {"primary", "secondary", "tertiary", "unclassified", "residential", "track"} <= highways
    # main roads pass through the town centres
    towns = pyogrio.read_dataframe(DEMO / "towns.gpkg", layer="towns")
    roads = pyogrio.read_dataframe(DEMO / "roads.gpkg", layer="roads")
    main = shapely.union_all(
        roads.geometry.to_numpy()[roads["highway"].isin(["primary", "secondary"]).to_numpy()]
    )
    centres = towns.geometry.to_numpy()[(towns["kind"] == "town").to_numpy()]
    assert (shapely.distance(centres, main) < 300).all()
