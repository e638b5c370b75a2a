"""The parcel list for valuation tools: one data dictionary, CSV, GeoParquet and XLSX."""

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import yaml

from zoning import columns as col
from zoning import dictionary
from zoning.errors import ValidationFailed, ZoningError
from zoning.outputs import tables
from zoning.outputs.tables import parcel_list, write_csv, write_parquet, write_xlsx
from zoning.project import load_project
from zoning.runner import run

DOCS = Path(__file__).resolve().parents[1] / "docs" / "parcels_dictionary.md"
REQUIRED = (col.PARCEL_ID, col.AREA_HA, col.LANDUSE_CODE, col.LAND_CLASS, col.LAND_CLASS_AFTER,
            col.RESTORATION_MODE, col.VALUE_MODE, col.MEASURES, col.ZONE, col.BEST_USE,
            col.SUBS_MAX_M, col.DAMAGE_GRADE, col.REDUCE_SELECTED, col.IN_CORRIDOR,
            col.DIST_TOWN_M, dictionary.X, dictionary.Y, col.ESV_BEFORE_YUAN,
            col.ESV_AFTER_YUAN, col.CARBON_BEFORE_T, col.CARBON_AFTER_T)


@pytest.fixture(scope="module")
def written(demo_result, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("parcel_list")
    write_csv(folder / "parcels.csv", demo_result.parcels)
    write_parquet(folder / "parcels.parquet", demo_result.parcels)
    write_xlsx(folder / "parcels_zh.xlsx", demo_result.parcels, headers="zh")
    write_xlsx(folder / "parcels_en.xlsx", demo_result.parcels, headers="en")
    return folder


def test_the_dictionary_covers_the_schema():
    names = dictionary.names()
    assert len(names) == len(set(names))
    assert set(REQUIRED) <= set(names)
    for language in dictionary.LANGUAGES:
        headers = list(dictionary.headers(language).values())
        assert len(headers) == len(set(headers)), language
    for entry in dictionary.PARCEL_LIST:
        assert entry.zh and entry.en and entry.meaning and entry.dtype, entry.name
    assert dictionary.headers("en")[col.AREA_HA] == "Area (ha)"
    with pytest.raises(ValueError, match="headers"):
        dictionary.headers("fr")  # type: ignore[arg-type]


def test_the_docs_are_generated_from_the_dictionary():
    assert DOCS.read_text(encoding="utf-8") == dictionary.markdown()


def test_csv_columns_match_the_dictionary_in_order(written: Path, demo_result):
    table = pd.read_csv(written / "parcels.csv", encoding="utf-8-sig",
                        dtype={col.PARCEL_ID: str, col.LANDUSE_CODE: str})
    assert list(table.columns) == dictionary.names()
    assert len(table) == len(demo_result.parcels)
    assert table[col.ESV_AFTER_YUAN].sum() == pytest.approx(
        demo_result.parcels[col.ESV_AFTER_YUAN].sum(), rel=1e-5)


def test_parquet_round_trips_geometry_and_crs(written: Path, demo_result):
    back = gpd.read_parquet(written / "parcels.parquet")
    assert list(back.columns) == [*dictionary.names(), "geometry"]
    assert back.crs == demo_result.parcels.crs
    original = demo_result.parcels.geometry.to_numpy()
    assert shapely.equals_exact(back.geometry.to_numpy(), original, tolerance=0).all()
    assert list(back[col.PARCEL_ID]) == list(demo_result.parcels.index)
    inside = shapely.contains_properly(original, shapely.points(back[dictionary.X],
                                                                  back[dictionary.Y]))
    assert inside.mean() > 0.99  # x, y are a point inside (rounded to centimetres)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_xlsx_headers_in_zh_and_en(written: Path, demo_result, language):
    sheets = pd.read_excel(written / f"parcels_{language}.xlsx", sheet_name=None,
                           dtype={dictionary.headers(language)[col.PARCEL_ID]: str})
    parcels_sheet, dictionary_sheet = sheets.values()
    assert list(parcels_sheet.columns) == list(dictionary.headers(language).values())
    assert len(parcels_sheet) == len(demo_result.parcels)
    assert list(dictionary_sheet["name"]) == dictionary.names()
    ids = parcels_sheet[dictionary.headers(language)[col.PARCEL_ID]]
    assert list(ids) == list(demo_result.parcels.index)
    if language == "zh":
        assert "修复后生态系统服务价值 (yuan/yr)" in parcels_sheet.columns


def test_a_parcel_table_lacking_a_column_is_refused(demo_result):
    with pytest.raises(ZoningError, match=col.ESV_AFTER_YUAN):
        parcel_list(demo_result.parcels.drop(columns=[col.ESV_AFTER_YUAN]))


def test_a_failed_write_leaves_the_old_file(tmp_path: Path):
    target = tmp_path / "table.csv"
    target.write_text("old", encoding="utf-8")

    def half_then_fail(temp: Path) -> None:
        temp.write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        tables._whole(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


@pytest.mark.slow
def test_a_run_writes_the_three_parcel_lists(tiny_project: Path, tmp_path: Path):
    out = run(tiny_project, tmp_path / "out", progress=False)
    csv = pd.read_csv(out / "parcels.csv", encoding="utf-8-sig", dtype={col.PARCEL_ID: str})
    assert list(csv.columns) == dictionary.names()
    assert list(csv[col.PARCEL_ID]) == ["a", "b", "c"]
    homestead = csv.set_index(col.PARCEL_ID).loc["c"]
    assert homestead[col.ESV_BEFORE_YUAN] == 0
    parquet = gpd.read_parquet(out / "parcels.parquet")
    assert parquet.crs.to_epsg() == 4548 and len(parquet) == 3
    xlsx = pd.read_excel(out / "parcels.xlsx")
    assert list(xlsx.columns) == list(dictionary.headers("zh").values())
    for name in (col.ESV_BY_SERVICE, col.CARBON_BY_POOL):
        assert (out / f"{name}.csv").exists()


def test_the_xlsx_header_language_is_a_validated_project_option(tiny_project: Path):
    spec = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    assert load_project(tiny_project).outputs.xlsx_headers == "zh"  # the default
    spec["outputs"] = {"xlsx_headers": "fr"}
    tiny_project.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(ValidationFailed,
                       match=r"project.yaml:\d+:\d+: outputs.xlsx_headers: Input should be "
                             r"'zh' or 'en'"):
        load_project(tiny_project)
    spec["outputs"] = {"xlsx_header": "en"}  # misspelt key
    tiny_project.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(ValidationFailed, match="xlsx_header"):
        load_project(tiny_project)


@pytest.mark.slow
def test_a_run_with_english_xlsx_headers(tiny_project: Path, tmp_path: Path):
    spec = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    spec["outputs"] = {"xlsx_headers": "en"}
    tiny_project.write_text(yaml.safe_dump(spec), encoding="utf-8")
    out = run(tiny_project, tmp_path / "out", progress=False)
    sheets = pd.read_excel(out / "parcels.xlsx", sheet_name=None)
    assert list(sheets) == [tables.PARCEL_SHEET["en"], tables.DICTIONARY_SHEET["en"]]
    parcels_sheet = sheets[tables.PARCEL_SHEET["en"]]
    assert list(parcels_sheet.columns) == list(dictionary.headers("en").values())
    assert list(parcels_sheet[dictionary.headers("en")[col.PARCEL_ID]]) == ["a", "b", "c"]
    csv = pd.read_csv(out / "parcels.csv", encoding="utf-8-sig")
    assert list(csv.columns) == dictionary.names()  # the CSV keeps the stable names


def test_xlsx_missing_values_are_empty_cells_and_the_header_is_frozen(written: Path,
                                                                      demo_result):
    import openpyxl

    book = openpyxl.load_workbook(written / "parcels_zh.xlsx")
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    headers = [c.value for c in sheet[1]]
    column = headers.index(dictionary.headers("zh")[col.CORRIDOR_LEVEL]) + 1
    missing = demo_result.parcels[col.CORRIDOR_LEVEL].isna().to_numpy()
    values = [sheet.cell(row=r + 2, column=column).value for r in range(len(missing))]
    assert all(v is None for v, m in zip(values, missing, strict=True) if m)
    assert all(isinstance(v, str) for v, m in zip(values, missing, strict=True) if not m)


def test_csv_coordinates_keep_centimetres(written: Path):
    csv = pd.read_csv(written / "parcels.csv", encoding="utf-8-sig", dtype=str)
    parquet = gpd.read_parquet(written / "parcels.parquet")
    assert not csv[dictionary.Y].str.contains("e").any()  # was 3.80705e+06: 10 m off
    assert (csv[dictionary.Y].str.split(".").str[1].str.len() == 2).all()
    for name in (dictionary.X, dictionary.Y):
        assert csv[name].astype(float).tolist() == parquet[name].tolist()
