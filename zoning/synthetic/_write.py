"""Writers of the synthetic region: GeoPackage, GeoTIFF, OSM XML and the README."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyproj import Transformer

from zoning.synthetic._parcels import WATERLOGGED_BAND_M

if TYPE_CHECKING:
    from zoning.synthetic._region import Region

logger = logging.getLogger(__name__)


def gpkg(df: gpd.GeoDataFrame, path: Path, layer: str, meta: dict[str, str]) -> Path:
    """Write ``df`` as the only layer of a fresh GeoPackage, with SYNTHETIC metadata."""
    if path.exists():
        path.unlink()
    kinds = set(df.geometry.geom_type.dropna().tolist())
    geometry_type = None
    if not kinds:
        geometry_type = "Polygon"
    elif len(kinds) > 1:
        geometry_type = "MultiPolygon" if "MultiPolygon" in kinds else "Unknown"
    pyogrio.write_dataframe(
        df,
        path,
        layer=layer,
        driver="GPKG",
        layer_metadata=meta,
        geometry_type=geometry_type,
        promote_to_multi=geometry_type == "MultiPolygon",
    )
    return path


def geotiff(
    grid: NDArray[np.float64], transform: Affine, path: Path, epsg: int, meta: dict[str, str]
) -> Path:
    """Write the subsidence grid as a float32 GeoTIFF (metres, no nodata)."""
    if path.exists():
        path.unlink()
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 1,
        "height": grid.shape[0],
        "width": grid.shape[1],
        "crs": f"EPSG:{epsg}",
        "transform": transform,
        "compress": "deflate",
        "predictor": 3,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(grid.astype(np.float32), 1)
        dst.update_tags(**meta, units="m", quantity="cumulative subsidence W, positive down")
        dst.set_band_description(1, "subsidence_m")
    return path


def osm(roads: gpd.GeoDataFrame, path: Path, epsg: int) -> Path:
    """Write the road lines as OSM XML (WGS 84 nodes shared where roads meet)."""
    tr = Transformer.from_crs(epsg, 4326, always_xy=True)
    geoms = roads.geometry.to_numpy()
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    key = np.round(coords, 2)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    lon, lat = tr.transform(uniq[:, 0], uniq[:, 1])
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="zoning.synthetic (SYNTHETIC DATA, not a real place)">',
        f'  <bounds minlat="{np.min(lat):.7f}" minlon="{np.min(lon):.7f}" '
        f'maxlat="{np.max(lat):.7f}" maxlon="{np.max(lon):.7f}"/>',
    ]
    for i in range(len(uniq)):
        lines.append(f'  <node id="{i + 1}" version="1" lat="{lat[i]:.7f}" lon="{lon[i]:.7f}"/>')
    starts = np.searchsorted(index, np.arange(len(geoms)))
    ends = np.r_[starts[1:], len(index)]
    highway = roads["highway"].to_numpy()
    name = roads["name"].to_numpy()
    for w, (s, e) in enumerate(zip(starts, ends, strict=True)):
        nodes = inv[s:e] + 1
        keep = np.r_[True, nodes[1:] != nodes[:-1]]
        nodes = nodes[keep]
        if len(nodes) < 2:
            continue
        lines.append(f'  <way id="{w + 1}" version="1">')
        lines.extend(f'    <nd ref="{n}"/>' for n in nodes)
        lines.append(f'    <tag k="highway" v="{highway[w]}"/>')
        if name[w]:
            lines.append(f'    <tag k="name" v={quoteattr(str(name[w]))}/>')
        lines.append('    <tag k="oneway" v="no"/>')
        lines.append('    <tag k="note" v="synthetic"/>')
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def readme(path: Path, region: Region, n_parcels: int, seed: int, groundwater: float) -> Path:
    """Write the README of the demo layers, labelled SYNTHETIC DATA."""
    x0, y0, x1, y1 = region.bounds
    p = region.parcels
    w = region.grid
    text = README_TEMPLATE.format(
        side_km=(x1 - x0) / 1000,
        area_km2=(x1 - x0) * (y1 - y0) / 1e6,
        bounds=f"{x0:.0f}, {y0:.0f}, {x1:.0f}, {y1:.0f}",
        n_parcels=len(p),
        target=n_parcels,
        seed=seed,
        n_panels=len(region.panels),
        n_mines=len(region.mines),
        n_gangue=len(region.gangue),
        n_towns=int((region.towns["kind"] == "town").sum()),
        n_villages=int((region.towns["kind"] == "village").sum()),
        n_roads=len(region.roads),
        n_redline=len(region.redline),
        redline_km2=float(shapely.area(region.redline.geometry.to_numpy()).sum()) / 1e6,
        n_hazard=len(region.geohazard),
        n_boundary=len(region.boundary),
        wmax=float(w.max()),
        gw=groundwater,
        band=WATERLOGGED_BAND_M,
        nx=w.shape[1],
        ny=w.shape[0],
        parcel_table=_table(PARCEL_FIELDS),
        l1_table=_l1_table(p),
        code_table=_code_table(p),
        panel_table=_table(PANEL_FIELDS),
    )
    path.write_text(text, encoding="utf-8")
    return path


PARCEL_FIELDS = (
    (
        "`BSM`",
        "text",
        "parcel id (标识码), `JW000001`…, in reading order: 500 m rows from the"
        " north, west to east within a row",
    ),
    ("`DLBM`", "text", "land-use code (地类编码), GB/T 21010-2017 level 2, e.g. `0101`"),
    (
        "`DLMC`",
        "text",
        "land-use name (地类名称), the official Chinese name of `DLBM`, e.g. `水田`",
    ),
    (
        "`QSDWMC`",
        "text",
        "owner (权属单位名称): the synthetic administrative village (`…村`) or,"
        " inside towns, the town community (`…社区`)",
    ),
    ("`ZLDWMC`", "text", "location (坐落单位名称): town name + village or community name"),
    (
        "`POP`",
        "integer",
        "resident population of homestead (0702) and urban residential (0701) parcels, else 0",
    ),
    (
        "`OUTPUT_WY`",
        "real",
        "annual output value (年产值), 10,000 yuan (万元): commercial, industrial, storage and"
        " producing mining land; 0 on closed mines, shut workshops, homes, public and idle land",
    ),
    ("`INVEST_WY`", "real", "fixed-asset investment (固定资产投资), 10,000 yuan (万元)"),
    (
        "`FLOOR_M2`",
        "real",
        "building floor area (建筑面积), m²; floor-area ratio = `FLOOR_M2` / parcel area",
    ),
    (
        "`IDLE_YR`",
        "integer",
        "years idle (闲置年限), 0 in use: closed mine sites and their gangue piles since the"
        " mine closed, shut village workshops, abandoned homesteads (recoded 1201), idle land",
    ),
    (
        "`POP_2010`",
        "integer",
        "resident population in 2010; higher than `POP` in hollowing villages (most on"
        " subsiding ground), lower in the growing towns; abandoned homesteads had people",
    ),
)
PANEL_FIELDS = (
    ("`panel_id`", "text", "`<mine>-<seam><district><panel>`, e.g. `M1-2103`"),
    ("`mine`", "text", "mine code, see `mines.gpkg`"),
    ("`thickness_m`", "real", "extracted seam thickness m (2–4 m)"),
    ("`depth_m`", "real", "mining depth H (300–700 m)"),
    ("`dip_deg`", "real", "seam dip α (2–15°)"),
    (
        "`start_year`, `end_year`",
        "integer",
        "years of extraction; `end_year` is empty or ≥ 2026 for panels still being mined",
    ),
    ("`status`", "text", "`closed` (mined out) or `producing`"),
)


def _l1_table(parcels: gpd.GeoDataFrame) -> str:
    from zoning.synthetic._codes import GBT21010_L1

    area = pd.Series(shapely.area(parcels.geometry.to_numpy()), index=parcels.index)
    share = area.groupby(parcels["DLBM"].str[:2]).sum() / area.sum() * 100
    rows = ["| class | name | area share |", "| --- | --- | ---: |"]
    rows += [f"| {k} | {GBT21010_L1[k]} | {v:.1f} % |" for k, v in share.sort_index().items()]
    return "\n".join(rows)


def _code_table(parcels: gpd.GeoDataFrame) -> str:
    from zoning.synthetic._codes import GBT21010_L2

    area = pd.Series(shapely.area(parcels.geometry.to_numpy()), index=parcels.index)
    g = area.groupby(parcels["DLBM"])
    rows = ["| DLBM | DLMC | parcels | area (ha) |", "| --- | --- | ---: | ---: |"]
    for code, n in g.size().sort_index().items():
        rows.append(f"| {code} | {GBT21010_L2[str(code)]} | {n} | {g.sum()[code] / 1e4:.1f} |")
    return "\n".join(rows)


def _table(rows: tuple[tuple[str, str, str], ...]) -> str:
    head = ["| field | type | meaning |", "| --- | --- | --- |"]
    return "\n".join(head + [f"| {a} | {b} | {c} |" for a, b, c in rows])


README_TEMPLATE = """\
# SYNTHETIC DATA — embedded demo region

**Everything in this folder is synthetic.** It was made by a seeded random generator
(`zoning.synthetic`) to look like a plains coalfield such as Xuzhou's Jiawang district. It
is not a survey of any real place: the parcels, villages, towns, mines, panels, names,
populations and subsidence are invented. Do not use it for any real decision.

- Generator: `python -m zoning.synthetic layers/demo --parcels {target} --seed {seed}`
  (Python API: `zoning.synthetic.generate_region(out_dir, n_parcels={target}, seed={seed})`).
  The same seed gives the same tables and geometries.
- CRS of every layer: **EPSG:4548**, CGCS2000 / 3-degree Gauss-Kruger CM 117E (metres).
  The region is a {side_km:.1f} km square ({area_km2:.0f} km²) centred near 117.4°E, 34.4°N;
  bounds (xmin, ymin, xmax, ymax) = {bounds}.
- **Groundwater depth before subsidence: a constant {gw} m below the ground** over the
  whole region. Where the subsidence W exceeds {gw} m the ground is below the water table.
  Give the engine the same constant (`groundwater: depth_m: {gw}` in `project.yaml`).
- The region's side scales with the parcel count: 10 km × sqrt(n_parcels / 7000).
- Layers carry the metadata item `synthetic = true` (GeoPackage layer metadata, GeoTIFF tag).

## Files

### `parcels.gpkg`, layer `parcels` ({n_parcels} polygons)
Land-use parcels that tile the region exactly (no gaps, no overlaps). Attribute names follow
the Third National Land Survey (三调) parcel table.

{parcel_table}

`OUTPUT_WY`, `INVEST_WY`, `FLOOR_M2` and `IDLE_YR` are empty (NULL) except on built
construction land: classes 05 to 09 and 1201 idle land, not roads (1003–1005) or any other
land; `POP_2010` is 0 where nobody lived. Their values are invented to be plausible for a
plains coalfield, not survey or statistical data.

Area by first-level class (GB/T 21010-2017 一级类):

{l1_table}

Second-level codes present:

{code_table}

Land that has subsided more than {gw} m (below the water table) is already water or wetland
(1102, 1104, 1108, 1106); some parcels within {band} m above the water table are ponds or swamp,
the rest remain cropland or villages.

### `subsidence.gpkg`, layer `contours`
Nested contour polygons of the cumulative subsidence W at 0.01 (the 10 mm basin boundary),
0.5, 1, 1.5, 2, 3, 4, 5, 6 and 7 m. Field `depth_m` (real): the level; each polygon encloses
ground that has subsided at least that much, and deeper polygons lie inside shallower ones.
Derived from `subsidence.tif`. Maximum W: {wmax:.2f} m.

### `subsidence.tif`
The subsidence grid W itself: float32 metres (positive down), 10 m cells, {nx} × {ny}, no
nodata value (0 outside the basins), EPSG:4548. Computed by the probability integral method
(概率积分法) superposed over all panels: for each rectangular panel
W = W0 · C(x') · C(y') in the panel's own axes, C from the error function
(C(x) = ½[erf(√π (x − a)/r) − erf(√π (x − b)/r)]), W0 = m · q · cos α, r = H / tan β with
tan β = 2.0, extraction edges moved inwards by the inflection offset s = 0.1 H (not at
panel sides that only a narrow pillar separates from the next panel), q = 0.80–0.90.
Producing panels count their mined length only.

### `panels.gpkg`, layer `panels` ({n_panels} polygons)
Longwall panels (rectangles 150–250 m wide, 800–1,500 m long, in parallel groups).

{panel_table}

### `mines.gpkg`, layer `mines` ({n_mines} polygons)
Mine field boundaries (井田边界). Fields: `mine` (code), `name` (synthetic Chinese name),
`stage` (`producing` or `closed`), `type` (`underground`).

### `gangue.gpkg`, layer `gangue` ({n_gangue} polygons)
Coal-gangue piles (煤矸石山); they are 0602 parcels in `parcels.gpkg` too. Fields:
`gangue_id`, `mine`, `height_m` (pile height, m).

### `towns.gpkg`, layer `towns` ({n_towns} towns, {n_villages} villages)
Centre points of the towns and villages. Fields: `name` (synthetic Chinese name; villages by
their administrative name), `kind` (`town` or `village`), `pop` (sum of `POP` of their
parcels; villages swallowed by subsidence water have few or no people left).

### `roads.gpkg`, layer `roads` ({n_roads} lines) and `roads.osm`
The road network. Fields: `highway` (OSM class: primary, secondary, tertiary, unclassified,
residential, track), `name` (main roads), `kind` (generator class; `street` and `lane` are
town streets and village lanes, both `residential`), `width_m` (width of the road parcel).
`roads.osm` holds the same lines as OSM XML with WGS 84 nodes (shared where roads meet) and
`highway`, `name`, `oneway=no` tags; `osmnx.graph_from_xml("roads.osm")` reads it.
All roads are also parcels in `parcels.gpkg` (1003 for primary to tertiary roads, 1004 for
town streets and village lanes, 1006 for rural roads and 4 m field tracks), as wide as
`width_m`; rivers and the canal are 1101 parcels, ditches beside some field roads 1107.
Node coordinates are converted from EPSG:4548 with pyproj; the OSM ids are local.

### `redline.gpkg`, layer `redline` ({n_redline} polygons, {redline_km2:.1f} km²)
Ecological protection red line (生态保护红线): the river corridor with its oxbow lake
(`kind` `wetland`) and the forested hills (`kind` `forest`), with towns, villages, mine
sites and gangue piles cut out 60 m wide. Fields: `redline_id`, `kind`.

### `geohazard.gpkg`, layer `geohazard` ({n_hazard} polygons)
Geological hazard prone areas (地质灾害易发区). `kind` `gangue_slope`: collapse and
landslide zones 40–80 m around the gangue piles (`level` `high`); `goaf_collapse`: the
ground over each mine's panels (buffered 50–120 m) that subsided at least 1 m (`level`
`high` for the producing mine, `medium` for closed ones). Fields: `hazard_id`, `kind`,
`level`, `mine`.

### `boundary.gpkg`, layer `boundary` ({n_boundary} polygons)
Urban development boundary (城镇开发边界): each town's built-up area widened by 150–350 m,
kept clear of the red line. Fields: `boundary_id`, `town`.

The planning layers and the parcel fields `OUTPUT_WY` to `POP_2010` come from a second
generator seeded with `[seed, 6]` after everything else, so the other layers and fields are
the same as without them.

`project.yaml` in this folder is written by hand, not by the generator.
"""
