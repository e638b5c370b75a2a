"""Write the ILLUSTRATIVE assessment tables: INVENTED values (not statistics), seeded.

Run from the repository root:
python layers/demo/assessment_generate.py layers/demo/assessment_illustrative.csv layers/demo/assessment_jiawang_illustrative.csv
Smooth hand-shaped curves (mining peaking before 2011, restoration after) plus 1-6 % noise.
The first table has the indicators of rules/assessment.yaml (engine set); the second, when its
path is given, those of rules/assessment_jiawang.yaml (Table 1 of Ma et al. 2026 verbatim): the
same invented curves in Table 1's units, plus the land reclamation ratio (drawn after the first
table's values, so the first table does not change).
"""
import sys

import numpy as np
import pandas as pd

years = np.arange(2000, 2025)
t = years - 2000
rng = np.random.default_rng(20111)
def bump(peak, width):
    return np.exp(-((years - peak) / width) ** 2)
def ramp(start, end, y0, y1):
    x = np.clip((years - start) / (end - start), 0, 1)
    return y0 + (y1 - y0) * x
def noise(v, rel):
    return v * (1 + rng.normal(0, rel, v.size))
def grow(v0, r1, r2, split=2011):  # growth rate r1 before split, r2 after
    tt = np.minimum(years, split) - 2000
    return v0 * np.exp(r1 * tt + r2 * np.maximum(years - split, 0))
cols = {}
cols["unemployment_rate"] = (noise(2.6 + 1.9 * bump(2011, 4.5) - 0.015 * t, 0.02), 2, "%")
cols["gdp_per_capita"] = (noise(grow(9000, 0.06, 0.075), 0.01), -1, "yuan/person")
cols["social_security_share"] = (noise(9.5 - ramp(2000, 2010, 0, 2.0) + ramp(2011, 2024, 0, 8), 0.03), 1, "%")
cols["secondary_share"] = (noise(54 + ramp(2000, 2010, 0, 9) - ramp(2011, 2024, 0, 19), 0.01), 1, "%")
cols["mining_share"] = (noise(30 + ramp(2000, 2010, 0, 24) - ramp(2011, 2024, 0, 42), 0.02), 1, "%")
cols["disposable_income"] = (noise(grow(5200, 0.05, 0.085), 0.01), -1, "yuan/person")
cols["fiscal_spending"] = (noise(grow(6.0, 0.04, 0.12), 0.02), 2, "1e8 yuan")
cols["road_length"] = (noise(ramp(2000, 2011, 620, 760) + ramp(2012, 2024, 0, 1050), 0.005), 0, "km")
cols["tertiary_share"] = (noise(31 - ramp(2000, 2010, 0, 5) + ramp(2011, 2024, 0, 22), 0.01), 1, "%")
cols["tech_renovation_share"] = (noise(3.6 - ramp(2000, 2010, 0, 0.8) + ramp(2011, 2024, 0, 9), 0.04), 1, "%")
cols["subsided_area_per_person"] = (noise(30 + ramp(2000, 2012, 0, 45) - ramp(2013, 2024, 0, 35), 0.015), 1, "m2/person")
cols["cultivated_per_person"] = (noise(930 - ramp(2000, 2012, 0, 140) + ramp(2013, 2024, 0, 60), 0.005), 0, "m2/person")
cols["industrial_wastewater"] = (noise(1100 + 650 * bump(2010, 5) - ramp(2012, 2024, 0, 500), 0.03), 0, "1e4 t")
cols["energy_per_gdp"] = (noise(1.9 + 0.5 * bump(2009, 5) - ramp(2011, 2024, 0, 1.2), 0.02), 3, "tce/1e4 yuan")
cols["afforestation_area"] = (noise(300 + ramp(2011, 2020, 0, 1200) - ramp(2021, 2024, 0, 250), 0.05), 0, "ha")
cols["erosion_treated_area"] = (noise(2.0 + ramp(2012, 2024, 0, 12), 0.06), 2, "km2")
cols["environmental_spending"] = (noise(grow(0.25, 0.03, 0.2), 0.04), 3, "1e8 yuan")
cols["reclamation_rate"] = (noise(10 + ramp(2000, 2010, 0, 6) + ramp(2011, 2024, 0, 58), 0.02), 1, "%")
df = pd.DataFrame({k: np.round(v, d) if d >= 0 else np.round(v, d).astype(int) for k, (v, d, u) in cols.items()}, index=pd.Index(years, name="year"))
assert (df > 0).all().all()
units = pd.DataFrame([[u for (_, _, u) in cols.values()]], columns=df.columns, index=pd.Index(["unit"], name="year"))
pd.concat([units, df.astype(object)]).to_csv(sys.argv[1])
if len(sys.argv) > 2:  # the verbatim Jiawang indicators, in Table 1's units
    same = ["unemployment_rate", "gdp_per_capita", "social_security_share", "secondary_share",
            "mining_share", "disposable_income", "road_length", "tertiary_share",
            "tech_renovation_share", "industrial_wastewater", "energy_per_gdp"]
    verbatim = {k: cols[k] for k in same}
    verbatim["fiscal_spending"] = (cols["fiscal_spending"][0] * 1e4, 0, "1e4 yuan")
    verbatim["subsided_area_per_person"] = (cols["subsided_area_per_person"][0] * 1e-4, 6, "hm2/person")
    verbatim["cultivated_per_person"] = (cols["cultivated_per_person"][0] * 1e-4, 5, "hm2/person")
    verbatim["afforestation_area"] = (cols["afforestation_area"][0], 0, "hm2")
    verbatim["erosion_treated_area"] = (cols["erosion_treated_area"][0] * 100, 0, "hm2")
    verbatim["eco_governance_spending"] = (cols["environmental_spending"][0] * 1e4, 0, "1e4 yuan")
    verbatim["land_reclamation_ratio"] = (noise(52 - ramp(2000, 2012, 0, 7) + ramp(2013, 2024, 0, 4), 0.01), 1, "%")
    jw = pd.DataFrame({k: np.round(v, d) if d >= 0 else np.round(v, d).astype(int) for k, (v, d, u) in verbatim.items()}, index=pd.Index(years, name="year"))
    assert (jw > 0).all().all()
    jw_units = pd.DataFrame([[u for (_, _, u) in verbatim.values()]], columns=jw.columns, index=pd.Index(["unit"], name="year"))
    pd.concat([jw_units, jw.astype(object)]).to_csv(sys.argv[2])
