"""Mining subsidence: four input forms, probability-integral prediction, deformation, ponding.

The public façade of the subsidence subpackage:

- :func:`predict` and :class:`PimParameters`: subsidence, tilt, curvature, strain and
  horizontal displacement from mined panels by the probability integral method
  (概率积分法), exact over any panel polygon;
- :func:`interpolate_points`: survey or InSAR points to a subsidence raster;
- :func:`level_polygons`: contour and ponding polygons from a subsidence grid;
- :data:`STAGE`: the pipeline stage that turns any input form into per-parcel columns.

Examples
--------
>>> import geopandas as gpd, shapely
>>> from zoning.subsidence import PimParameters, predict
>>> panel = gpd.GeoDataFrame({"thickness_m": [2.0], "depth_m": [300.0], "dip_deg": [0.0]},
...                          geometry=[shapely.box(0, 0, 1500, 1500)], crs="EPSG:4548")
>>> grids = predict(panel, PimParameters(q=0.9), resolution_m=25).grids()
>>> sorted(grids)
['curvature', 'displacement', 'strain', 'subsidence', 'tilt']
"""

from zoning.subsidence.points import interpolate_points
from zoning.subsidence.predict import Deformation, PimParameters, predict
from zoning.subsidence.stage import STAGE
from zoning.subsidence.surface import level_polygons

__all__ = ["STAGE", "Deformation", "PimParameters", "interpolate_points", "level_polygons",
           "predict"]
