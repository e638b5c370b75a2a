import geopandas as gpd
import pytest
import shapely

from zoning.crs import choose_working_crs, gauss_kruger_crs, utm_crs


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [(117.4, 34.4, 4548), (116.9, 32.6, 4548), (118.2, 39.6, 4548), (113.3, 40.1, 4547)],
)
def test_gauss_kruger_zone_for_chinese_coalfields(lon, lat, epsg):
    # Jiawang, Huainan, Tangshan (118.2 E is nearest CM 117 E), Datong (CM 114 E)
    assert gauss_kruger_crs(lon, lat).to_epsg() == epsg


def test_outside_china_falls_back_to_utm():
    assert gauss_kruger_crs(7.2, 51.5) is None
    assert choose_working_crs(7.2, 51.5).to_epsg() == 32632  # Ruhr: UTM 32N
    assert utm_crs(-122.3, 37.8).to_epsg() == 32610  # Oakland: UTM 10N


def test_chosen_crs_measures_true_area():
    # a 0.01° x 0.01° cell at 34.4 N is about 1.109 km (north) x 0.919 km (east)
    cell = gpd.GeoSeries([shapely.box(117.40, 34.40, 117.41, 34.41)], crs="EPSG:4326")
    area = cell.to_crs(choose_working_crs(117.4, 34.4)).area.iloc[0]
    assert area == pytest.approx(1109.4 * 918.7, rel=0.005)
