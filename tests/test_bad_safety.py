"""Bad-input catalogue: nothing lost (output folders, locks, staging), YAML that cannot
explode, exit codes and Ctrl-C, and ``zoning explain`` on the last run's outputs."""

from __future__ import annotations

import importlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from _bad import inputs_unchanged, outcome
from conftest import boxes

import zoning
from zoning import runner
from zoning.cli import EXIT_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, main
from zoning.engine import prepare
from zoning.explain import explain
from zoning.outputs.guard import MARKER, lock_path, mark
from zoning.rules.loader import MAX_STRING, MAX_VALUES, SHOWN

ROOT = Path(__file__).resolve().parents[1]
explain_module = importlib.import_module("zoning.explain")  # zoning.explain is the function

BOMB = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n" for prev, name in zip("abcdefgh",
                                                                           "bcdefghi",
                                                                           strict=True))
"""A 'billion laughs' block: nine levels of nine aliases, 9**9 strings once expanded."""


def _edit(project: Path, **changes: object) -> dict:
    data = yaml.safe_load(project.read_text(encoding="utf-8"))
    data.update(changes)
    project.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return data


def _no_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make running the stages fail loudly: the case must be decided before them."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the stages ran")
    monkeypatch.setattr(runner, "run_stages", refuse)
    monkeypatch.setattr(explain_module, "run_stages", refuse)


# --- output names and folders ---------------------------------------------------------------

@outcome("problem")
@pytest.mark.parametrize("name", [".", "..", "a/b", "a\\b", ""])
def test_output_name_that_is_no_folder_name(tiny_project: Path, name: str, capsys,
                                            monkeypatch):
    _edit(tiny_project, name=name, output_dir=".")
    _no_stages(monkeypatch)
    with inputs_unchanged(tiny_project.parent):
        assert main(["-q", "run", str(tiny_project)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "1 problem(s) found" in err
    assert re.search(rf"{re.escape(str(tiny_project))}:\d+:\d+: name: .*may not be empty, "
                     r"start with '\.'", err)
    assert f"found {name!r}" in err
    assert sorted(p.name for p in tiny_project.parent.iterdir()) == [
        "parcels.gpkg", "project.yaml", "subsidence.gpkg"]  # nothing written beside them


@outcome("correct")
def test_output_dir_dot_and_a_chinese_name(tiny_project: Path):
    _edit(tiny_project, name="贾汪2025", output_dir=".")
    with inputs_unchanged(tiny_project.parent, ignore=("贾汪2025",)):
        assert main(["-q", "run", str(tiny_project)]) == 0
    out = tiny_project.parent / "贾汪2025"
    assert (out / "result.gpkg").is_file() and (out / MARKER).is_file()
    assert len(gpd.read_file(out / "result.gpkg", layer="parcels")) == 3
    assert not [p for p in tiny_project.parent.iterdir() if p.name.startswith(".")]


@outcome("problem")
def test_output_folder_holding_the_inputs(tiny_project: Path, capsys, monkeypatch):
    """Layers in data/, the project in proj/, outputs to ../data: that would replace data/."""
    data = tiny_project.parent / "data"
    data.mkdir()
    for name in ("parcels.gpkg", "subsidence.gpkg"):
        (tiny_project.parent / name).rename(data / name)
    project = tiny_project.parent / "proj" / "project.yaml"
    project.parent.mkdir()
    tiny_project.rename(project)
    spec = yaml.safe_load(project.read_text(encoding="utf-8"))
    for layer in spec["layers"].values():
        layer["path"] = f"../data/{layer['path']}"
    _edit(project, layers=spec["layers"], name="data", output_dir="..")
    _no_stages(monkeypatch)
    with inputs_unchanged(tiny_project.parent):
        assert main(["-q", "run", str(project)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"{data}: the output folder holds 2 input(s) of the run" in err
    assert str(data / "parcels.gpkg") in err and "would delete them" in err


@outcome("problem")
def test_existing_folder_not_written_by_the_engine(tiny_project: Path, capsys, monkeypatch):
    theirs = tiny_project.parent / "out" / "tiny"
    theirs.mkdir(parents=True)
    (theirs / "notes.docx").write_bytes(b"planner's own file")
    _no_stages(monkeypatch)
    with inputs_unchanged(tiny_project.parent, ignore=()):
        assert main(["-q", "run", str(tiny_project)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"{theirs}: the folder exists and was not written by zoning (it has no {MARKER} " \
           "file)" in err
    assert "move or delete the folder yourself" in err


@outcome("problem")
def test_out_naming_a_file(tiny_project: Path, capsys, monkeypatch):
    target = tiny_project.parent / "report.txt"
    target.write_text("not a folder", encoding="utf-8")
    _no_stages(monkeypatch)  # refused before any computation
    with inputs_unchanged(tiny_project.parent):
        assert main(["-q", "run", str(tiny_project), "--out", str(target)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"{target} is a file, not a folder; the outputs need a folder" in err


@outcome("problem")
def test_a_second_run_into_the_same_folder(tiny_project: Path, capsys, monkeypatch):
    """A living process holds the lock: the run is refused and the lock left to its owner."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = lock_path(tiny_project.parent / "out" / "tiny")
        lock.parent.mkdir()
        lock.write_text(f"{other.pid}\n", encoding="utf-8")
        _no_stages(monkeypatch)
        with inputs_unchanged(tiny_project.parent, ignore=()):
            assert main(["-q", "run", str(tiny_project)]) == EXIT_INPUT
    finally:
        other.kill()
        other.wait()
    err = capsys.readouterr().err
    assert f"another zoning run (process {other.pid}) is writing to this folder" in err
    assert lock.read_text(encoding="utf-8") == f"{other.pid}\n"


@outcome("warning")
def test_leftovers_of_a_killed_run_are_cleaned(tiny_project: Path, caplog):
    """A killed run left its lock and its staging folder; earlier outputs stand in out/tiny."""
    out = tiny_project.parent / "out"
    earlier = out / "tiny"
    earlier.mkdir(parents=True)
    mark(earlier, earlier)
    (earlier / "old.csv").write_text("earlier run", encoding="utf-8")
    staging = out / ".tiny-k1ll3d00"
    staging.mkdir()
    mark(staging, earlier)
    (staging / "result.gpkg").write_bytes(b"\0" * 2_000_000)
    theirs = out / ".tiny-notes"  # hidden, but not the engine's: kept
    theirs.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(earlier).write_text(f"{dead.pid}\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="zoning"), inputs_unchanged(tiny_project.parent):
        assert main(["run", str(tiny_project)]) == 0  # not -q: the removal is logged as info
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING
                and "lock" in r.getMessage()]
    assert warnings == [f"{lock_path(earlier)}: taking over the lock left by process "
                        f"{dead.pid}, which has ended"]
    removed = [r.getMessage() for r in caplog.records if "left by an earlier run" in r.getMessage()]
    assert removed == [f"removed {staging}, left by an earlier run (2.0 MB)"]
    assert sorted(p.name for p in out.iterdir()) == [".tiny-notes", "tiny"]
    assert not (earlier / "old.csv").exists() and (earlier / "result.gpkg").is_file()


# --- YAML that cannot explode ----------------------------------------------------------------

@outcome("problem")
def test_alias_bomb_in_the_project_file(tiny_project: Path, capsys):
    tiny_project.write_text(tiny_project.read_text(encoding="utf-8") + BOMB, encoding="utf-8")
    assert len(BOMB) < 1000
    start = time.perf_counter()
    with inputs_unchanged(tiny_project.parent):
        assert main(["-q", "validate", str(tiny_project)]) == EXIT_INPUT
    assert time.perf_counter() - start < 10
    err = capsys.readouterr().err
    assert re.search(rf"{re.escape(str(tiny_project))}:\d+:\d+: refused: more than "
                     f"{MAX_VALUES:,} values once its aliases", err)


@outcome("problem")
def test_alias_bomb_in_a_rule_file(tiny_project: Path, capsys):
    rules = tiny_project.parent / "my_zones.yaml"
    rules.write_text("schema_version: 1\nkind: zones\n" + BOMB, encoding="utf-8")
    _edit(tiny_project, rules={"zones": "my_zones.yaml"})
    with inputs_unchanged(tiny_project.parent):
        assert main(["-q", "validate", str(tiny_project)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "1 problem(s) found" in err
    assert re.search(rf"{re.escape(str(rules))}:\d+:\d+: refused: more than {MAX_VALUES:,} "
                     "values", err)


@outcome("problem")
def test_huge_expression_is_refused_without_echoing_it(tiny_project: Path, capsys):
    shipped = (ROOT / "rules" / "zones.yaml").read_text(encoding="utf-8")
    when = " or ".join(["damage_grade == 'severe'"] * 600)  # 16,000 characters
    rules = tiny_project.parent / "my_zones.yaml"
    rules.write_text(shipped + f"\nhuge: \"{when}\"\n", encoding="utf-8")
    _edit(tiny_project, rules={"zones": "my_zones.yaml"})
    with inputs_unchanged(tiny_project.parent):
        assert main(["-q", "validate", str(tiny_project)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert f"refused: a string of {len(when):,} characters, more than {MAX_STRING:,}" in err
    assert repr(when[:SHOWN]) in err and when[:SHOWN + 1] not in err
    assert len(err) < 1000


@outcome("warning")
def test_project_file_saved_in_gbk(tiny_project: Path, capsys, caplog):
    text = tiny_project.read_text(encoding="utf-8").replace("title: tiny test",
                                                            "title: 贾汪区采煤沉陷区")
    tiny_project.write_bytes(text.encode("gbk"))
    with caplog.at_level(logging.WARNING, logger="zoning"), \
            inputs_unchanged(tiny_project.parent):
        assert main(["-q", "validate", str(tiny_project)]) == 0
    notes = [r.getMessage() for r in caplog.records if "GB18030" in r.getMessage()]
    assert len(notes) == 1 and notes[0].startswith(f"{tiny_project}: not UTF-8; read as GB18030")
    assert zoning.load_project(tiny_project).title == "贾汪区采煤沉陷区"
    assert "valid (3 parcels" in capsys.readouterr().out


# --- exit codes and Ctrl-C ---------------------------------------------------------------------

@outcome("problem")
def test_internal_error_exits_3_with_the_traceback_in_a_file(tiny_project: Path, capsys,
                                                            monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom in a stage")
    monkeypatch.setattr(runner, "run_stages", broken)
    with inputs_unchanged(tiny_project.parent):
        assert main(["-q", "run", str(tiny_project)]) == EXIT_INTERNAL
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    found = re.fullmatch(r"internal error \(RuntimeError: boom in a stage\); this is a bug in "
                         r"zoning, not in the input: the traceback is in (.+\.log)", err)
    assert found
    log = Path(found.group(1))
    try:
        text = log.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in text and "RuntimeError: boom" in text
    finally:
        log.unlink()
    out = tiny_project.parent / "out"
    assert not out.exists() or not list(out.iterdir())  # no staging, no lock


@outcome("correct")
@pytest.mark.slow
def test_ctrl_c_exits_130_and_leaves_nothing(tmp_path: Path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "zoning", "-q", "run"], cwd=tmp_path,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = tmp_path / "out"
    deadline = time.monotonic() + 600
    while not (out.is_dir() and [p for p in out.iterdir() if p.is_dir()]):  # the staging
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == EXIT_INTERRUPTED, err[-2000:]
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == ("interrupted (Ctrl-C): nothing written, earlier "
                                            "outputs untouched")
    assert list(out.iterdir()) == []  # the staging folder and the lock are gone


# --- explain -------------------------------------------------------------------------------------

@outcome("problem")
def test_explain_unknown_id_at_once(tiny_project: Path, capsys, monkeypatch):
    _no_stages(monkeypatch)
    with inputs_unchanged(tiny_project.parent):
        assert main(["-q", "explain", "a1", str(tiny_project)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert "no parcel with id 'a1' (did you mean 'a'?); ids look like ['a', 'b', 'c']" in err


@pytest.fixture
def float_ids(tiny_project: Path) -> Path:
    """The tiny project with its ids stored as floats (6242406.0, ...), as some exports do."""
    parcels = gpd.read_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    parcels["BSM"] = [6242406.0, 6242407.0, 6242408.0]
    assert parcels["BSM"].dtype == "float64" and len(boxes()) == len(parcels)
    parcels.to_file(tiny_project.parent / "parcels.gpkg", layer="parcels")
    return tiny_project


@outcome("correct")
def test_float_ids_read_as_whole_numbers(float_ids: Path, capsys, monkeypatch, caplog):
    prepared = prepare(float_ids)
    assert list(prepared.layers.parcels.index) == ["6242406", "6242407", "6242408"]
    with inputs_unchanged(float_ids.parent):
        result = zoning.run_stages(prepared, progress=False)
        folder = zoning.write(result, float_ids.parent / "out")
        expected = explain("6242408", result=result).to_text()
        _no_stages(monkeypatch)  # the outputs are current: read, not rerun
        with caplog.at_level(logging.INFO, logger="zoning"):
            assert main(["explain", "6242408.0", str(float_ids)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("parcel 6242408\n") and "6242408.0" not in text
    assert text.strip() == expected  # the same explanation as from the stages
    assert f"explaining from the outputs in {folder} (current)" in caplog.messages


@outcome("correct")
def test_explain_reruns_when_an_input_changed(tiny_project: Path, caplog):
    folder = zoning.run(tiny_project, progress=False)
    with inputs_unchanged(tiny_project.parent):
        from_outputs = explain("c", tiny_project).to_text()
    rules = tiny_project.parent / "my_zones.yaml"
    shutil.copy(ROOT / "rules" / "zones.yaml", rules)
    _edit(tiny_project, rules={"zones": "my_zones.yaml"})
    with caplog.at_level(logging.INFO, logger="zoning"), inputs_unchanged(tiny_project.parent):
        rerun = explain("c", tiny_project).to_text()
    reason = [m for m in caplog.messages if m.startswith("running the stages")]
    # the copy has the shipped file's bytes: only the project file changed
    assert reason == [f"running the stages: the outputs in {folder} are not current (changed "
                      "since they were written: project file)"]
    assert rerun == from_outputs  # same rules, copied: same explanation
