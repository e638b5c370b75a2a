import pytest

from zoning.cli import main
from zoning.engine import prepare, run_stages
from zoning.errors import ZoningError
from zoning.explain import explain


def test_explain_lists_every_rule_in_order(tiny_project, capsys):
    assert main(["-q", "explain", "c", str(tiny_project)]) == 0
    text = capsys.readouterr().out
    # parcel c: rural homestead with 3 m subsidence over its whole area, water table 2.5 m
    assert "subs_max_m = 3" in text
    # construction land without deformation values: graded by the land factors, worst wins
    assert "* gw_after_m = -0.5 m < 0.5 m: severe" in text
    assert "damage_grade = severe (by gw_after_m" in text
    # ponded half a metre deep: water wins over relocation; the hazard sets the value mode
    assert "* deep_ponded: matched" in text and "+ subsided_village: matched" in text
    assert "* severe_construction: matched" in text
    assert "* unresolved_hazard: matched [safety_risk=high]" in text
    assert text.index("damage_grade = severe") < text.index("deep_ponded") < text.index(
        "* ponded: matched")
    # suitability: every factor with its score and weight, the N veto on cultivated land
    assert "cultivated: N (index" in text
    assert "groundwater = -0.5: score 0 × weight 0.349  veto → at best N" in text


def test_explain_unknown_parcel(tiny_project):
    result = run_stages(prepare(tiny_project), progress=False)
    with pytest.raises(ZoningError, match="no parcel with id 'zz'"):
        explain("zz", result=result)
