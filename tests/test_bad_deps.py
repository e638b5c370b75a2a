"""Bad-input catalogue: ESRI ASCII grids given to ``zoning circuitscape``.

These are the cases for which GDAL's AAIGrid driver is not used to read the grids: it fills
a truncated grid with zeros and ignores surplus values without a word, where the reader of
:mod:`zoning.corridors.circuitscape` names the file and the counts. Each case writes a
Circuitscape INI with its grids in a temporary folder and checks that they stay
byte-identical.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from _bad import inputs_unchanged, outcome

from zoning.corridors.circuitscape import read_config, run_config
from zoning.errors import CorridorError

HEADER = "ncols 5\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\nNODATA_value -9999\n"
POINTS = HEADER + "1 0 0 0 2\n"


def _case(folder: Path, habitat: str, habitat_name: str = "habitat.asc") -> Path:
    """A pairwise case on a 1 x 5 strip: ``habitat`` is the text of the resistance grid."""
    inputs = folder / "in"
    inputs.mkdir()
    data = habitat.encode()
    (inputs / habitat_name).write_bytes(gzip.compress(data, mtime=0)
                                        if habitat_name != "habitat.asc" else data)
    (inputs / "points.asc").write_text(POINTS, encoding="utf-8")
    ini = inputs / "case.ini"
    ini.write_text(
        "[Options]\nscenario = pairwise\ndata_type = raster\n"
        f"habitat_file = {inputs / habitat_name}\nhabitat_map_is_resistances = True\n"
        f"point_file = {inputs / 'points.asc'}\noutput_file = {folder / 'out' / 'case.out'}\n"
        "write_volt_maps = True\nwrite_cur_maps = False\n", encoding="utf-8")
    return ini


@outcome("problem")
@pytest.mark.parametrize(("body", "found"), [
    ("1 1 1\n", "3 values for 1 rows x 5 columns"),          # truncated: GDAL reads zeros
    ("1 1 1 1 1 1 1\n", "7 values for 1 rows x 5 columns"),  # surplus: GDAL ignores them
])
def test_ascii_grid_with_the_wrong_number_of_values(tmp_path, body, found):
    ini = _case(tmp_path, HEADER + body)
    with inputs_unchanged(tmp_path / "in"), pytest.raises(CorridorError) as caught:
        run_config(read_config(ini))
    text = str(caught.value)
    assert "habitat.asc: not a readable ESRI ASCII grid" in text and found in text
    assert not (tmp_path / "out" / "case_voltmap_1_2.asc").exists()


@outcome("problem")
def test_ascii_grid_header_without_cellsize(tmp_path):
    ini = _case(tmp_path, HEADER.replace("cellsize 1\n", "") + "1 1 1 1 1\n")
    with inputs_unchanged(tmp_path / "in"), pytest.raises(CorridorError) as caught:
        run_config(read_config(ini))
    assert "habitat.asc: not a readable ESRI ASCII grid (header lacks cellsize)" in str(
        caught.value)


@outcome("correct")
def test_gzipped_grid_found_by_its_content_not_its_name(tmp_path):
    ini = _case(tmp_path, HEADER + "1 1 1 1 1\n", habitat_name="habitat.grid")
    with inputs_unchanged(tmp_path / "in"):
        run_config(read_config(ini))
    volts = np.loadtxt(tmp_path / "out" / "case_voltmap_1_2.asc", skiprows=6, ndmin=2)
    np.testing.assert_allclose(volts, [[0, 1, 2, 3, 4]])
