"""The plan report: one offline HTML file whose numbers are the run's."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from zoning import columns as col
from zoning.outputs import report as report_module
from zoning.outputs.report import write_report
from zoning.rules.models import DamageRules, ModesRules, ReductionRules
from zoning.runner import _manifest

HEADINGS_EN = ("Overview", "Planning zones", "Restoration and value-realization modes",
               "Restoration suitability", "Subsidence and damage",
               "Ecological security pattern", "Land reduction", "Per-mine plans",
               "Sensitivity of the suitability weights",
               "Ecosystem service value and carbon",
               "Social-ecological vulnerability and resilience", "Topology QC", "Provenance")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Tables(HTMLParser):
    """Rows of every table with an id: header texts and cell texts (tbody only)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list]] = {}
        self.keyed: dict[str, dict[str, str]] = {}
        self._table: str | None = None
        self._part = ""
        self._row: list[str] | None = None
        self._key: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = {"head": [], "rows": []}
            self.keyed[self._table] = {}
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr":
            self._row, self._key = [], a.get("data-key")
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._table and self._row is not None:
            table = self.tables[self._table]
            if self._part == "thead":
                table["head"] = self._row
            elif self._part == "tbody":
                table["rows"].append(self._row)
                if self._key is not None:
                    self.keyed[self._table][self._key] = self._row[-1]
            self._row = None
        elif tag == "table":
            self._table, self._part = None, ""


def _parse(text: str) -> _Tables:
    parser = _Tables()
    parser.feed(text)
    return parser


@pytest.fixture(scope="module")
def manifest(demo_result):
    return _manifest(demo_result, datetime.now(UTC))


@pytest.fixture(scope="module")
def report(demo_result, manifest, tmp_path_factory) -> Path:
    return write_report(tmp_path_factory.mktemp("report") / "report.html", demo_result,
                        manifest)


def test_one_file_with_no_network_references(report):
    assert [p.name for p in report.parent.iterdir()] == ["report.html"]
    text = report.read_text(encoding="utf-8")
    assert "<script" not in text
    assert "<link" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert not re.search(r"@import|url\(", text)


def test_every_section_heading_and_the_synthetic_notice(report):
    text = report.read_text(encoding="utf-8")
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert len(headings) == len(HEADINGS_EN)
    for heading, english in zip(headings, HEADINGS_EN, strict=True):
        assert heading.endswith(english)
        assert re.search(r"[\u4e00-\u9fff]", heading), f"no Chinese in {heading!r}"
    assert 'id="synthetic-notice"' in text and "合成数据" in text


def test_no_notice_for_a_real_project(demo_result, manifest, tmp_path):
    project = demo_result.prepared.project.model_copy(update={"synthetic": False})
    prepared = dataclasses.replace(demo_result.prepared, project=project)
    out = write_report(tmp_path / "r.html", dataclasses.replace(demo_result, prepared=prepared),
                       manifest)
    assert "synthetic-notice" not in out.read_text(encoding="utf-8")


def test_zone_area_table_sums_to_the_parcel_area(report, demo_result):
    table = _parse(report.read_text(encoding="utf-8")).tables["zone-area"]
    area = table["head"].index("面积 Area (ha)")
    shown = {row[0]: float(row[area]) for row in table["rows"]}
    by_zone = demo_result.parcels.groupby(col.ZONE)[col.AREA_HA].sum()
    assert set(shown) == set(by_zone.index)
    for zone, value in by_zone.items():
        assert shown[zone] == pytest.approx(value, abs=0.05)
    total = demo_result.parcels[col.AREA_HA].sum()
    assert sum(shown.values()) == pytest.approx(total, abs=0.05 * len(shown))


def test_mode_and_damage_tables_cover_every_parcel(report, demo_result):
    tables = _parse(report.read_text(encoding="utf-8")).tables
    for table_id in ("restoration-mode-area", "value-mode-area", "damage-area",
                     "best-use-area", "best-use-class-area"):
        table = tables[table_id]
        parcels = table["head"].index("地块数 Parcels")
        assert sum(int(r[parcels].replace(",", "")) for r in table["rows"]) == len(
            demo_result.parcels), table_id


def test_reduction_numbers_are_the_summary(report, demo_result):
    summary = demo_result.tables["reduction_summary"].iloc[0]
    keyed = _parse(report.read_text(encoding="utf-8")).keyed["reduction-summary"]
    assert keyed["target_ha"] == f"{summary['target_ha']:.1f}"
    assert keyed["reached_ha"] == f"{summary['reached_ha']:.1f}"
    assert keyed["method"] == summary["method"]
    assert keyed["parcels"] == f"{int(summary['parcels']):,}"
    release = _parse(report.read_text(encoding="utf-8")).tables["reduction-release"]
    assert len(release["rows"]) == len(demo_result.tables["reduction_release"])


def test_charts_are_embedded_pngs(report):
    images = re.findall(r'<img src="([^"]+)"', report.read_text(encoding="utf-8"))
    assert len(images) >= 5
    for uri in images:
        prefix = "data:image/png;base64,"
        assert uri.startswith(prefix)
        assert base64.b64decode(uri[len(prefix):]).startswith(PNG_SIGNATURE)


def test_provenance_lists_inputs_with_checksums(report, manifest):
    text = report.read_text(encoding="utf-8")
    assert manifest["inputs"], "the demo has inputs"
    for entry in manifest["inputs"].values():
        assert entry["sha256"] in text
    for entry in manifest["rules"].values():
        assert entry["sha256"] in text
    assert f"EPSG:{manifest['crs']['epsg']}" in text


def test_sensitivity_table_has_every_row(report, demo_result):
    rows = _parse(report.read_text(encoding="utf-8")).tables["sensitivity"]["rows"]
    assert len(rows) == len(demo_result.tables["suitability_sensitivity"])


def test_missing_inputs_give_notes_not_errors(demo_result, manifest, tmp_path):
    tables = {k: v for k, v in demo_result.tables.items()
              if not k.startswith("reduction") and k != "zone_statistics"}
    parcels = demo_result.parcels.drop(columns=[c for c in demo_result.parcels.columns
                                                if c.startswith(("esv_", "carbon_"))])
    out = write_report(tmp_path / "r.html",
                       dataclasses.replace(demo_result, tables=tables, parcels=parcels), manifest)
    text = out.read_text(encoding="utf-8")
    assert "This run has no land reduction." in text
    assert "no esv_* / carbon_* columns" in text
    assert "This run has no zone statistics table." in text


def test_esv_and_carbon_totals_when_present(demo_result, manifest, tmp_path):
    n = len(demo_result.parcels)
    parcels = demo_result.parcels.assign(esv_before_yuan=10_000.0, esv_after_yuan=30_000.0,
                                         carbon_before_t=2.0, carbon_after_t=1.5)
    out = write_report(tmp_path / "r.html", dataclasses.replace(demo_result, parcels=parcels),
                       manifest)
    rows = _parse(out.read_text(encoding="utf-8")).tables["ecosystem"]["rows"]
    assert rows[0][1:] == [f"{n:,.1f}", f"{3 * n:,.1f}", f"{2 * n:,.1f}"]  # 万元
    assert rows[1][1:] == [f"{2 * n:,.1f}", f"{1.5 * n:,.1f}", f"{-0.5 * n:,.1f}"]


def test_failed_write_leaves_the_old_file(demo_result, manifest, tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    path.write_text("old", encoding="utf-8")

    def refuse(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(report_module.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_report(path, demo_result, manifest)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_network_counts_are_the_layers(report, demo_result):
    tables = _parse(report.read_text(encoding="utf-8")).tables
    nodes = demo_result.layers["nodes"][col.NODE_TYPE].value_counts()
    shown = {row[0]: int(row[1]) for row in tables["nodes"]["rows"]}
    assert sum(shown.values()) == nodes.sum() and sorted(shown.values()) == sorted(nodes)
    paths = demo_result.layers["corridors"]
    levels = tables["corridor-levels"]
    assert sum(int(row[1]) for row in levels["rows"]) == len(paths)
    assert sum(float(row[2]) for row in levels["rows"]) == pytest.approx(
        paths.geometry.length.sum() / 1000, abs=0.01)
    keyed = _parse(report.read_text(encoding="utf-8")).keyed["network"]
    assert keyed["sources"] == str(len(demo_result.layers["sources"]))


@pytest.mark.slow
def test_a_run_hashes_each_input_once_and_the_report_shows_the_manifest(tiny_project, tmp_path,
                                                                       monkeypatch):
    from zoning import runner
    from zoning.outputs import manifest as manifest_module

    hashed: list[Path] = []
    real = manifest_module.sha256

    def counting(path: Path) -> str:
        hashed.append(Path(path))
        return real(path)

    monkeypatch.setattr(manifest_module, "sha256", counting)
    out = runner.run(tiny_project, tmp_path / "out", progress=False)
    assert hashed and len(hashed) == len(set(hashed))  # every file hashed exactly once
    written = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "write_report" in written["timings_s"] and "write_map_pdf" in written["timings_s"]
    assert written["finished_utc"] >= written["started_utc"]
    # the report's provenance holds the same checksums as manifest.json
    text = (out / "report.html").read_text(encoding="utf-8")
    for entry in (*written["inputs"].values(), *written["rules"].values()):
        assert entry["sha256"] in text


def test_assessment_section_shows_the_chart_the_orientation_and_the_differences(
        report, demo_result):
    text = report.read_text(encoding="utf-8")
    section = text[text.index('<section id="assessment">'):]
    section = section[:section.index("</section>")]
    assert "ILLUSTRATIVE DATA" in section  # the demo's table is invented, and says so
    assert "larger r = less vulnerable" in section and "V = 1 − r" in section
    assert section.count('src="data:image/png;base64,') == 1
    parsed = _parse(section).tables["assessment-difference"]
    found = demo_result.prepared.assessment
    assert len(parsed["rows"]) == len(found.difference)  # one row per year
    assert parsed["rows"][0][0] == str(found.difference.index[0])  # a year, not "2,000"
    column = parsed["head"].index("ecological V − R")
    assert [float(r[column]) for r in parsed["rows"]] == pytest.approx(
        found.difference["ecological"].to_list(), abs=5e-4)


def test_units_table_counts_every_planning_unit(report, demo_result):
    rows = _parse(report.read_text(encoding="utf-8")).tables["planning-units"]["rows"]
    parcels = demo_result.parcels
    assert sum(int(r[1]) for r in rows) == parcels[col.PLANNING_UNIT].nunique()
    assert sum(float(r[2]) for r in rows) == pytest.approx(parcels[col.AREA_HA].sum(), rel=1e-3)


def test_manifest_and_provenance_list_the_assessment_inputs(report, manifest, demo_result):
    found = demo_result.prepared.assessment
    assert manifest["inputs"]["assessment_table"]["path"] == str(found.table.path)
    assert manifest["rules"]["assessment"]["path"] == str(found.rules_path)
    text = report.read_text(encoding="utf-8")
    assert manifest["inputs"]["assessment_table"]["sha256"] in text


def test_topology_section_shows_the_demo_clean(report, demo_result):
    tables = _parse(report.read_text(encoding="utf-8")).tables
    rows = {r[0]: r[1:] for r in tables["topology"]["rows"]}
    assert rows["地块面积之和 Sum of parcel areas"] == ["—", "9,999.9999"]  # 9,999.99987
    assert rows["超限重叠 Overlapping pairs above tolerance"] == ["0", "0.0000"]
    assert rows["超限缝隙 Gaps above tolerance"] == ["0", "0.0000"]
    assert rows["限差内缝隙 Sliver gaps (counted)"] == ["9", "0.0001"]
    assert "topology-overlaps" not in tables  # the demo has no overlap at all
    assert len(tables["topology-gaps"]["rows"]) == 9
    assert len(demo_result.layers["qc_gaps"]) == 9 and demo_result.layers["qc_overlaps"].empty


def test_rule_sources_cover_modes_reduction_zones_and_land_class_after(report, demo_result):
    tables = _parse(report.read_text(encoding="utf-8")).tables
    parcels = demo_result.parcels
    rows = tables["rule-sources"]["rows"]
    head = tables["rule-sources"]["head"]
    assert head == ["规则表 Table", "输出 Output", "规则 Rule", "地块数 Parcels",
                    "面积 Area (ha)", "依据 Source"]
    by_table: dict[str, int] = {}
    for r in rows:
        by_table[r[0]] = by_table.get(r[0], 0) + int(r[3].replace(",", ""))
        assert r[5].strip(), r
    # every retired parcel's target use, every esv after rule and every zone not merged
    assert by_table["reduction.target_use_rules"] == int(parcels[col.REDUCE_SELECTED].sum())
    assert by_table["esv.after_rules"] == len(parcels)
    assert by_table["zones.rules"] == int((parcels[col.ZONE_RULE] != col.ZONE_RULE_MMU).sum())
    closed = next(r for r in rows if r[2] == "closed_mine_land")
    assert (closed[0], int(closed[3])) == ("reduction.triggers", 25)
    assert "中国资源型城市的高质量发展" in closed[5]
    # the modes table names its tables the same way, with a source on every row
    modes = tables["mode-rule-sources"]["rows"]
    value = [r for r in modes if r[0] == "modes.value_rules"]
    assert sum(int(r[3].replace(",", "")) for r in value) == len(parcels)
    assert any(r[2] == "declining_ecological_products" for r in value)
    assert all(r[5].strip() for r in modes)


RAW_NAME = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")
"""A machine column name or category code (``damage_none_ha``, ``producing_underground``)."""
LABELLED_TABLES = ("mines", "mines-damage", "mines-modes", "mines-cost", "rights-area",
                   "mode-rule-sources", "rule-sources", "city-strategy", "reduction-weights",
                   "topology", "topology-gaps")
"""Tables whose headers and first column (unless it is headed 代码 Code, beside the labels)
must be labels, not machine names."""


def _bilingual(category) -> str:
    label = getattr(category, "label", category)
    return f"{label.zh} ({label.en})"


def test_per_mine_tables_are_one_row_per_labelled_item_and_one_column_per_mine(report,
                                                                               demo_result):
    from zoning.mineplan import cost_column, damage_column, mode_column
    tables = _parse(report.read_text(encoding="utf-8")).tables
    rules = demo_result.prepared.rules
    plans = demo_result.tables["mines"].set_index(col.MINE_ID)
    mines = [str(m) for m in plans.index]
    grades, modes = rules.get("damage", DamageRules).grades, rules.get("modes", ModesRules)
    damage = tables["mines-damage"]
    assert damage["head"] == ["损毁程度 Damage grade", *mines, "合计 Total"]
    rows = {r[0]: r[1:] for r in damage["rows"]}
    assert list(rows) == [_bilingual(g) for g in grades.values()]
    light = _bilingual(grades["light"])
    assert "轻度损毁" in light and "Light" in light  # the labels are the rule file's
    expected = plans[damage_column("light")]
    assert rows[light] == [f"{v:.1f}" for v in expected] + [f"{expected.sum():.1f}"]
    mode_rows = {r[0]: r[1:] for r in tables["mines-modes"]["rows"]}
    dig = _bilingual(modes.restoration_modes["dig_deep_fill_shallow"])
    assert float(mode_rows[dig][-1]) == pytest.approx(
        plans[mode_column("dig_deep_fill_shallow")].sum(), abs=0.05)
    # each mine's damage grades add up to its area
    assert len(mines) == 4
    for i, mine in enumerate(mines):
        assert sum(float(r[i]) for r in rows.values()) == pytest.approx(
            plans.at[mine, col.AREA_HA], abs=0.05 * len(grades))
    cost = {r[0]: r[1:] for r in tables["mines-cost"]["rows"]}
    soil = _bilingual(modes.measures["soil"])
    assert float(cost[soil][-1].replace(",", "")) == pytest.approx(
        plans[cost_column("soil")].sum() / 1e4, abs=0.05)
    assert "土方工程 (Earthwork)" in cost


def test_labelled_tables_show_no_machine_names(report):
    tables = _parse(report.read_text(encoding="utf-8")).tables
    for table_id in LABELLED_TABLES:
        if table_id not in tables:
            continue
        found = tables[table_id]
        raw = [h for h in found["head"] if RAW_NAME.match(h)]
        if found["head"][0] != "代码 Code":  # codes only beside their labels
            raw += [r[0] for r in found["rows"] if RAW_NAME.match(r[0])]
        assert not raw, (table_id, raw)
    assert {"mines", "mines-damage", "mines-modes", "mines-cost", "city-strategy",
            "reduction-weights"} <= set(tables)


def test_strategy_monitoring_and_city_type_are_shown_by_their_labels(report, demo_result):
    text = report.read_text(encoding="utf-8")
    tables = _parse(text).tables
    rules = demo_result.prepared.rules
    modes = rules.get("modes", ModesRules)
    plans = demo_result.tables["mines"].set_index(col.MINE_ID)
    head = tables["mines"]["head"]
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in tables["mines"]["rows"]}
    assert plans.at["M1", col.STRATEGY] == "producing_underground"
    assert rows["M1"]["策略 Strategy"] == _bilingual(modes.strategies["producing_underground"])
    assert plans.at["M2", col.MONITORING] == "long_term"
    assert rows["M2"]["监测 Monitoring"] == _bilingual(modes.monitoring["long_term"])
    assert rows["M1"]["最高风险 Worst risk"] == _bilingual(modes.safety_levels["high"])
    assert rows["M1"]["阶段 Stage"] == "生产 (Producing)"
    # every cell of the labelled tables: no category code left, only in the rule ids
    codes = {*modes.strategies, *modes.monitoring, *modes.value_modes, *modes.safety_levels,
             *rules.get("reduction", ReductionRules).city_types}
    for table_id in ("mines", "city-strategy"):
        cells = {c for r in tables[table_id]["rows"] for c in r}
        assert not cells & codes, (table_id, cells & codes)
    strategy = {r[0]: r for r in tables["city-strategy"]["rows"]}
    declining = rules.get("reduction", ReductionRules).city_types["declining"]
    row = strategy[_bilingual(declining)]
    assert row[1] == "是 yes"
    assert row[5] == "; ".join(_bilingual(modes.value_modes[v])
                               for v in declining.value_preferences)
    assert _parse(text).keyed["overview"]["city_type"] == _bilingual(declining)
    assert _parse(text).keyed["reduction-summary"]["city_type"] == _bilingual(declining)
    # rule-source outputs are named by the data dictionary
    outputs = {r[1] for r in tables["rule-sources"]["rows"]}
    assert "规划分区 (Zone)" in outputs and "zone" not in outputs
