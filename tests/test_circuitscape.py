"""``zoning circuitscape``: Circuitscape INI files, its reference cases, file formats."""

from __future__ import annotations

import argparse
import gzip
from pathlib import Path

import numpy as np
import pytest
from conftest import shared

from zoning.corridors import circuitscape
from zoning.corridors._ascgrid import GridMeta, read_grid, write_grid
from zoning.corridors.circuitscape import read_config, run_config
from zoning.errors import CorridorError

RESISTANCE_TOLERANCE = 1e-3
GRID_SSD_TOLERANCE = 1e-6
CASES = ["sgVerify1", "sgVerify7", "sgVerify16"]

BASE = {
    "data_type": "raster", "scenario": "pairwise", "habitat_file": "habitat.asc",
    "habitat_map_is_resistances": "True", "connect_four_neighbors_only": "True",
    "connect_using_avg_resistances": "True", "point_file": "points.asc",
    "output_file": "output/case.out", "write_cur_maps": "True", "write_volt_maps": "True",
    "write_max_cur_maps": "False", "use_polygons": "False", "polygon_file": "(Browse for a file)",
    "use_mask": "False", "mask_file": "None", "use_included_pairs": "False",
    "included_pairs_file": "None", "source_file": "(Browse for a current source file)",
    "ground_file": "(Browse for a ground point file)", "remove_src_or_gnd": "not entered",
}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Circuitscape resolves relative paths (outputs too) against the current folder."""
    monkeypatch.chdir(tmp_path)


def meta_for(shape: tuple[int, int]) -> GridMeta:
    return GridMeta(ncols=shape[1], nrows=shape[0], xllcorner=0.0, yllcorner=0.0, cellsize=1.0)


def make_case(folder: Path, grids: dict[str, np.ndarray], **options: str) -> Path:
    """Write grids (NaN = nodata) and an INI with BASE overridden by options."""
    for name, values in grids.items():
        write_grid(folder / name, values, meta_for(values.shape))
    settings = {**BASE, **options}
    text = "[Options]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())
    ini = folder / "case.ini"
    ini.write_text(text, encoding="utf-8")
    return ini


def strip_case(folder: Path, n: int = 5, **options: str) -> Path:
    focal = np.zeros((1, n))
    focal[0, 0], focal[0, -1] = 1, 2
    return make_case(folder, {"habitat.asc": np.ones((1, n)), "points.asc": focal}, **options)


def resistance_table(path: Path) -> np.ndarray:
    return np.loadtxt(path, ndmin=2)


@pytest.mark.realdata
@pytest.mark.parametrize("case", CASES)
def test_reference_cases_reproduce(case, tmp_path, monkeypatch):
    folder = shared("circuitscape", case)
    monkeypatch.chdir(tmp_path)  # outputs land in ./output, inputs are found beside the INI
    written = {p.name for p in run_config(read_config(folder / f"{case}.ini"))}
    expected = sorted((folder / "expected").iterdir())
    assert {p.name for p in expected} <= written
    worst_r, worst_ssd = 0.0, 0.0
    for path in expected:
        mine = tmp_path / "output" / path.name
        if path.suffix == ".out":
            diff = np.abs(resistance_table(mine) - resistance_table(path)).max()
            worst_r = max(worst_r, diff)
        else:
            ref, _ = read_grid(path)
            got, _ = read_grid(mine)
            ssd = float(((np.nan_to_num(ref, nan=-9999) - np.nan_to_num(got, nan=-9999)) ** 2)
                        .sum())
            worst_ssd = max(worst_ssd, ssd)
    assert worst_r < RESISTANCE_TOLERANCE
    assert worst_ssd < GRID_SSD_TOLERANCE


@pytest.mark.realdata
def test_reference_header_and_resistance_layout(tmp_path, monkeypatch):
    folder = shared("circuitscape", "sgVerify1")
    monkeypatch.chdir(tmp_path)
    run_config(read_config(folder / "sgVerify1.ini"))
    mine = (tmp_path / "output" / "sgVerify1_voltmap_1_2.asc").read_text().splitlines()[:6]
    ref = (folder / "expected" / "sgVerify1_voltmap_1_2.asc").read_text().splitlines()[:6]
    assert [line.split() for line in mine] == [line.split() for line in ref]
    first = (tmp_path / "output" / "sgVerify1_resistances.out").read_text().splitlines()[0]
    assert first == "0 1 2 3 4 5 6 8 9 11 51"


def test_strip_outputs_names_and_values(tmp_path):
    ini = strip_case(tmp_path, write_max_cur_maps="True")
    written = run_config(read_config(ini))
    out = tmp_path / "output"
    assert sorted(p.name for p in written) == [
        "case_cum_curmap.asc", "case_curmap_1_2.asc", "case_max_curmap.asc",
        "case_resistances.out", "case_resistances_3columns.out", "case_voltmap_1_2.asc"]
    assert (out / "case_resistances_3columns.out").read_text() == "1 2 4\n"
    volts, _ = read_grid(out / "case_voltmap_1_2.asc")
    np.testing.assert_allclose(volts, [[0, 1, 2, 3, 4]])
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left


def test_relative_paths_prefer_the_current_folder(tmp_path, monkeypatch):
    (tmp_path / "case").mkdir()
    ini = strip_case(tmp_path / "case")
    here = tmp_path / "cwd"
    here.mkdir()
    write_grid(here / "habitat.asc", np.full((1, 5), 3.0), meta_for((1, 5)))
    monkeypatch.chdir(here)
    run_config(read_config(ini))
    r = resistance_table(here / "output" / "case_resistances.out")
    assert r[1, 2] == pytest.approx(12.0)  # the 3-ohm habitat of the current folder


def test_compressed_input_and_output(tmp_path):
    ini = strip_case(tmp_path, compress_grids="True", habitat_file="habitat.asc.gz")
    with gzip.open(tmp_path / "habitat.asc.gz", "wt") as f:
        f.write((tmp_path / "habitat.asc").read_text())
    (tmp_path / "habitat.asc").unlink()
    run_config(read_config(ini))
    volts, meta = read_grid(tmp_path / "output" / "case_voltmap_1_2.asc.gz")
    np.testing.assert_allclose(volts, [[0, 1, 2, 3, 4]])
    assert meta.nodata == -9999


def test_geotiff_and_gzipped_geotiff_inputs(tmp_path):
    ini = strip_case(tmp_path, habitat_file="habitat.tif", use_polygons="True",
                     polygon_file="poly.tif.gz")
    write_grid(tmp_path / "habitat.tif", np.full((1, 5), 2.0), meta_for((1, 5)))
    write_grid(tmp_path / "poly.tif", np.array([[0, 4, 4, 0, 0]], dtype=float),
               meta_for((1, 5)))
    with gzip.open(tmp_path / "poly.tif.gz", "wb") as f:
        f.write((tmp_path / "poly.tif").read_bytes())
    run_config(read_config(ini))
    r = resistance_table(tmp_path / "output" / "case_resistances.out")
    assert r[1, 2] == pytest.approx(6.0)  # one of the four 2-ohm links is short-circuited
    current, _ = read_grid(tmp_path / "output" / "case_curmap_1_2.asc")  # ASCII, as expected
    np.testing.assert_allclose(current, np.ones((1, 5)))


def test_text_list_points_match_grid_points(tmp_path):
    grid_ini = strip_case(tmp_path)
    run_config(read_config(grid_ini))
    by_grid = resistance_table(tmp_path / "output" / "case_resistances.out")
    (tmp_path / "points.txt").write_text("1 0.5 0.5\n2 4.5 0.5\n")
    text_ini = strip_case(tmp_path, point_file="points.txt", output_file="output/text.out")
    run_config(read_config(text_ini))
    by_text = resistance_table(tmp_path / "output" / "text_resistances.out")
    np.testing.assert_allclose(by_text, by_grid)


def test_point_outside_grid_is_an_error(tmp_path):
    (tmp_path / "points.txt").write_text("1 0.5 0.5\n2 9.5 0.5\n")
    ini = strip_case(tmp_path, point_file="points.txt")
    with pytest.raises(CorridorError, match=r"points\.txt: point 2 .* outside"):
        run_config(read_config(ini))
    assert not (tmp_path / "output").exists() or not any((tmp_path / "output").iterdir())


def test_included_pairs_list_and_matrix(tmp_path):
    focal = np.array([[1, 0, 2, 0, 3]], dtype=float)
    grids = {"habitat.asc": np.ones((1, 5)), "points.asc": focal}
    (tmp_path / "pairs.txt").write_text("mode include\n1 3\n")
    ini = make_case(tmp_path, grids, use_included_pairs="True", included_pairs_file="pairs.txt")
    run_config(read_config(ini))
    r = resistance_table(tmp_path / "output" / "case_resistances.out")
    assert r[1:, 1:].tolist() == [[0, -1, 4], [-1, 0, -1], [4, -1, 0]]
    (tmp_path / "matrix.txt").write_text("min 1\nmax 5\n0 1 2 3\n1 0 0 9\n2 2 0 1\n3 9 1 0\n")
    ini = make_case(tmp_path, grids, use_included_pairs="True", included_pairs_file="matrix.txt",
                    output_file="output/m.out")
    run_config(read_config(ini))
    r = resistance_table(tmp_path / "output" / "m_resistances.out")
    assert r[1:, 1:].tolist() == [[0, 2, -1], [2, 0, 2], [-1, 2, 0]]


def test_one_to_all_drops_ids_missing_from_included_pairs(tmp_path):
    focal = np.array([[1, 0, 2, 0, 3]], dtype=float)
    (tmp_path / "pairs.txt").write_text("mode include\n1 3\n")
    ini = make_case(tmp_path, {"habitat.asc": np.ones((1, 5)), "points.asc": focal},
                    scenario="one-to-all", use_included_pairs="True",
                    included_pairs_file="pairs.txt")
    run_config(read_config(ini))
    table = resistance_table(tmp_path / "output" / "case_resistances.out")
    assert table.tolist() == [[1, 4], [3, 4]]  # 2 is not in the file; 1 reaches only 3


def test_exclude_mode_drops_listed_pairs(tmp_path):
    focal = np.array([[1, 0, 2, 0, 3]], dtype=float)
    (tmp_path / "pairs.txt").write_text("mode exclude\n1 2\n")
    ini = make_case(tmp_path, {"habitat.asc": np.ones((1, 5)), "points.asc": focal},
                    use_included_pairs="True", included_pairs_file="pairs.txt")
    run_config(read_config(ini))
    r = resistance_table(tmp_path / "output" / "case_resistances.out")
    assert r[1, 2] == -1 and r[1, 3] == 4 and r[2, 3] == 2


def test_mask_cuts_the_strip(tmp_path):
    mask = np.array([[1, 1, 0, 1, 1]], dtype=float)
    ini = strip_case(tmp_path, use_mask="True", mask_file="mask.asc")
    write_grid(tmp_path / "mask.asc", mask, meta_for((1, 5)))
    run_config(read_config(ini))
    assert resistance_table(tmp_path / "output" / "case_resistances.out")[1, 2] == -1


def test_polygons_and_null_voltages_and_log_currents(tmp_path):
    habitat = np.array([[1, 1, np.nan, 1, 1]], dtype=float)
    polygons = np.array([[0, 5, 5, 5, 0]], dtype=float)
    focal = np.array([[1, 0, 0, 0, 2]], dtype=float)
    ini = make_case(tmp_path, {"habitat.asc": habitat, "points.asc": focal,
                               "poly.asc": polygons}, use_polygons="True",
                    polygon_file="poly.asc", set_null_voltages_to_nodata="True",
                    log_transform_maps="True")
    run_config(read_config(ini))
    out = tmp_path / "output"
    assert resistance_table(out / "case_resistances.out")[1, 2] == pytest.approx(2.0)
    volts, _ = read_grid(out / "case_voltmap_1_2.asc")
    np.testing.assert_allclose(volts, [[0, 1, np.nan, 1, 2]])
    log_current, _ = read_grid(out / "case_curmap_1_2.asc")
    np.testing.assert_allclose(log_current, np.zeros((1, 5)), atol=1e-12)  # log10(1 A)


def test_one_to_all_files(tmp_path):
    focal = np.array([[1, 0, 2, 0, 3]], dtype=float)
    ini = make_case(tmp_path, {"habitat.asc": np.ones((1, 5)), "points.asc": focal},
                    scenario="one-to-all", write_max_cur_maps="True")
    (tmp_path / "strengths.txt").write_text("1 2.0\n")
    names = {p.name for p in run_config(read_config(ini))}
    assert names == {"case_resistances.out", "case_cum_curmap.asc", "case_max_curmap.asc",
                     *(f"case_{k}_{i}.asc" for k in ("curmap", "voltmap") for i in (1, 2, 3))}
    table = resistance_table(tmp_path / "output" / "case_resistances.out")
    assert table.tolist() == [[1, 2], [2, 1], [3, 2]]
    ini = make_case(tmp_path, {}, scenario="one-to-all", use_variable_source_strengths="True",
                    variable_source_file="strengths.txt", output_file="output/v.out")
    run_config(read_config(ini))
    volts, _ = read_grid(tmp_path / "output" / "v_voltmap_1.asc")
    np.testing.assert_allclose(volts, [[4, 2, 0, 0, 0]])


def test_all_to_one_files(tmp_path):
    focal = np.array([[1, 0, 2, 0, 3]], dtype=float)
    ini = make_case(tmp_path, {"habitat.asc": np.ones((1, 5)), "points.asc": focal},
                    scenario="all-to-one", write_volt_maps="False")
    run_config(read_config(ini))
    current, _ = read_grid(tmp_path / "output" / "case_curmap_1.asc")
    np.testing.assert_allclose(current, [[2, 2, 2, 1, 1]])
    assert resistance_table(tmp_path / "output" / "case_resistances.out")[:, 1].tolist() == [0] * 3


def test_advanced_mode_files(tmp_path):
    grids = {"habitat.asc": np.ones((1, 3)), "src.asc": np.array([[2.0, np.nan, np.nan]]),
             "gnd.asc": np.array([[np.nan, np.nan, 0.0]])}
    ini = make_case(tmp_path, grids, scenario="advanced", source_file="src.asc",
                    ground_file="gnd.asc", ground_file_is_resistances="True",
                    remove_src_or_gnd="keepall")
    names = {p.name for p in run_config(read_config(ini))}
    assert names == {"case_curmap.asc", "case_voltmap.asc"}
    volts, _ = read_grid(tmp_path / "output" / "case_voltmap.asc")
    np.testing.assert_allclose(volts, [[4, 2, 0]])  # a 0-ohm ground is a direct ground


def test_advanced_text_list_sources(tmp_path):
    ini = make_case(tmp_path, {"habitat.asc": np.ones((1, 3)),
                               "gnd.asc": np.array([[np.nan, np.nan, 0.0]])},
                    scenario="advanced", source_file="src.txt", ground_file="gnd.asc",
                    ground_file_is_resistances="True")
    (tmp_path / "src.txt").write_text("1.5 0.5 0.5\n0.5 0.2 0.9\n")  # both in the left cell
    run_config(read_config(ini))
    volts, _ = read_grid(tmp_path / "output" / "case_voltmap.asc")
    np.testing.assert_allclose(volts, [[4, 2, 0]])


def test_conductance_habitat(tmp_path):
    ini = strip_case(tmp_path, habitat_map_is_resistances="False")
    write_grid(tmp_path / "habitat.asc", np.full((1, 5), 4.0), meta_for((1, 5)))
    run_config(read_config(ini))
    assert resistance_table(tmp_path / "output" / "case_resistances.out")[1, 2] == 1.0


def test_ini_problems_are_reported_together(tmp_path):
    ini = make_case(tmp_path, {}, scenario="sideways", habitat_file="missing.asc",
                    output_file="None")
    with pytest.raises(CorridorError) as caught:
        read_config(ini)
    text = str(caught.value)
    assert "3 problem(s)" in text
    assert "scenario = 'sideways'" in text and "missing.asc" in text and "output_file" in text


def test_zero_resistance_names_the_habitat_file(tmp_path):
    ini = strip_case(tmp_path)
    write_grid(tmp_path / "habitat.asc", np.array([[1.0, 0, 1, 1, 1]]), meta_for((1, 5)))
    with pytest.raises(CorridorError, match=r"habitat\.asc: zero resistance"):
        run_config(read_config(ini))


def test_cli_hook(tmp_path):
    ini = strip_case(tmp_path)
    parser = argparse.ArgumentParser()
    circuitscape.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["circuitscape", str(ini), "--out", str(tmp_path / "elsewhere")])
    assert circuitscape.run(args, progress=False) == 0
    r = resistance_table(tmp_path / "elsewhere" / "case_resistances.out")
    assert r[1, 2] == pytest.approx(4.0)


def test_ascii_header_with_cell_centres_and_tabs(tmp_path):
    (tmp_path / "g.asc").write_text("NCOLS 2\nNROWS 2\nXLLCENTER 0.5\nYLLCENTER 10.5\n"
                                    "CELLSIZE 1\nNODATA_VALUE -1\n1\t2\t\n-1\t4\t\n")
    values, meta = read_grid(tmp_path / "g.asc")
    np.testing.assert_array_equal(values, [[1, 2], [np.nan, 4]])
    assert (meta.xllcorner, meta.yllcorner, meta.nodata) == (0.0, 10.0, -1.0)


def test_write_as_tif(tmp_path):
    ini = strip_case(tmp_path, write_as_tif="True", write_volt_maps="False")
    names = {p.name for p in run_config(read_config(ini))}
    assert "case_curmap_1_2.tif" in names and "case_cum_curmap.tif" in names
