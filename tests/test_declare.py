"""What stages declare: their columns (labels, kinds, categories) and the grids they hand on."""

import pytest

from zoning import columns as col
from zoning import dictionary, modes, split
from zoning.corridors.stage import STAGE as CORRIDORS
from zoning.declare import Column, Product, categories
from zoning.errors import ZoningError
from zoning.rulefields import engine_kinds
from zoning.stage import Stage, handoff_problems
from zoning.subsidence.stage import STAGE as SUBSIDENCE
from zoning.subsidence.stage import SUBSIDENCE_GRID
from zoning.topology import TABLE as TOPOLOGY_TABLE


@pytest.fixture(scope="module")
def declared(demo_result) -> dict[str, list[Column]]:
    rules = demo_result.prepared.rules
    return {s.name: s.declares(rules) for s in demo_result.prepared.stages}


def test_declared_names_are_the_columns_each_stage_returns(demo_result, declared):
    names = [c.name for cs in declared.values() for c in cs]
    assert len(names) == len(set(names))
    added = list(demo_result.parcels.columns)
    start = added.index(names[0])
    assert added[start:] == names  # every stage, in order, after the input fields and split
    assert len(names) > 150  # the suitability factor scores alone are dozens


def test_every_declaration_says_what_it_is(declared):
    for column in (c for cs in declared.values() for c in cs):
        assert column.zh and column.en and column.meaning, column.name
        assert column.dtype in ("text", "float", "integer", "boolean", "category")
    units = {c.name: c.unit for cs in declared.values() for c in cs}
    assert units[col.AREA_HA] == "ha" and units[col.ESV_AFTER_YUAN] == "yuan/yr"
    bands = [n for n in units if n.startswith(col.SUBS_SHARE_PREFIX)]
    assert len(bands) >= 3 and {units[n] for n in bands} == {"fraction"}


def test_categorical_values_are_keys_of_their_rule_categories(demo_result, declared):
    rules = demo_result.prepared.rules
    found = [c for cs in declared.values() for c in cs if c.dtype == "category"]
    assert {c.name for c in found} >= {col.LAND_CLASS, col.DAMAGE_GRADE, col.BEST_USE,
                                       col.RESTORATION_MODE, col.ZONE, col.LAND_CLASS_AFTER}
    for column in found:
        keys = categories(rules, column)
        assert keys and all(c.label.zh and c.color for c in keys.values()), column.name
        values = set(demo_result.parcels[column.name].dropna())
        assert values, column.name
        assert values <= set(keys), (column.name, values - set(keys))


def test_categories_of_a_wrong_place_or_a_plain_column_are_refused(demo_result):
    rules = demo_result.prepared.rules
    with pytest.raises(ZoningError, match=r"no categories 'modes\.nothing'"):
        categories(rules, Column("x", "category", "x", "x", "x", categories="modes.nothing"))
    with pytest.raises(ZoningError, match="not a category"):
        categories(rules, Column(col.AREA_HA, "float", "面积", "Area", "area"))
    with pytest.raises(ZoningError, match="names its categories"):
        Column("x", "text", "x", "x", "x", categories="zones.zones")


def test_expression_kinds_come_from_the_declarations(declared):
    kinds = engine_kinds([*split.DECLARED, *(c for cs in declared.values() for c in cs)])
    assert kinds[col.YEARS_SINCE_MINING] == "number"
    assert kinds[col.DAMAGE_REASON] == "text" and kinds[col.ZONE] == "text"
    assert kinds[col.STABLE] == "bool" and kinds[col.SPLIT] == "bool"
    assert kinds["suit_cultivated_by_ponding"] == "number"


def test_the_parcel_list_takes_the_stages_labels():
    entries = {e.name: e for e in dictionary.PARCEL_LIST}
    mode = next(c for c in modes.DECLARED if c.name == col.RESTORATION_MODE)
    assert (entries[mode.name].zh, entries[mode.name].en) == (mode.zh, mode.en)
    assert entries[col.BEST_USE].dtype == "text"  # a category is stored as text
    assert dictionary.headers("zh")[col.PARCEL_ID] == "图斑编号"


def _user(grid: str) -> Stage:
    """A stage that adds nothing and needs ``grid``."""
    return Stage(name="toy", run=lambda parcels, rules, layers: parcels[[]],
                 declares=lambda rules: [], uses_grids=(grid,))


def test_a_grid_is_handed_on_only_to_the_stages_after_its_maker(demo_result):
    rules = demo_result.prepared.rules
    toy = _user(SUBSIDENCE_GRID)
    before = handoff_problems([toy, SUBSIDENCE], rules, grids=[], layers=["parcels"])
    assert [p.where for p in before] == ["stage toy"]
    assert "'subsidence'" in before[0].message
    assert handoff_problems([SUBSIDENCE, toy], rules, grids=[], layers=["parcels"]) == []
    assert handoff_problems([toy], rules, grids=[SUBSIDENCE_GRID], layers=["parcels"]) == []
    assert Product(SUBSIDENCE_GRID, "grid", "地表下沉", "Subsidence") in SUBSIDENCE.makes(rules)


def test_optional_grids_are_not_required(demo_result):
    assert SUBSIDENCE_GRID in modes.STAGE.optional_grids
    rules = demo_result.prepared.rules
    assert handoff_problems([modes.STAGE], rules, grids=[], layers=["parcels"]) == []


def test_every_grid_layer_and_table_of_the_demo_is_declared(demo_result):
    prepared = demo_result.prepared
    products = [p for s in prepared.stages for p in s.makes(prepared.rules)]
    assert all(p.zh and p.en for p in products)
    declared = {(p.name, p.kind) for p in products}
    qc = {*prepared.topology.layers(), TOPOLOGY_TABLE}  # the parcel QC, not a stage's
    made = ({(n, "grid") for n in demo_result.grids}
            | {(n, "layer") for n in demo_result.layers
               if n not in prepared.layers.vectors and n not in qc}
            | {(n, "table") for n in demo_result.tables if n not in qc})
    assert made <= declared, made - declared
    assert len(made) >= 20


def test_a_layer_is_an_input_role_or_made_before(demo_result):
    rules = demo_result.prepared.rules
    reader = Stage(name="reader", run=lambda parcels, rules, layers: parcels[[]],
                   declares=lambda rules: [], uses_layers=("parcels", "sources"))
    before = handoff_problems([reader, CORRIDORS], rules, grids=[], layers=["parcels"])
    assert [(p.where, "layer 'sources'" in p.message) for p in before] == [("stage reader", True)]
    assert handoff_problems([CORRIDORS, reader], rules, grids=[], layers=["parcels"]) == []
