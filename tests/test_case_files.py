"""Case files refused by name (issue 14): names that lead outside the case folder, bad CSV
cells by file, line and column, wrong TOML types by file:line and item; fg.save writes every
file a case names, with the shortest float text that reads back as the value."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

import flowgraph as fg
from flowgraph.app.case import load_case
from flowgraph.app.registry import available
from flowgraph.io.casesave import float_text

CASES = Path(__file__).parent.parent / "cases"
NODES = "id,kind\nsrc,source\np,process\nsnk,sink\n"
TABLES = '[case]\nname = "t"\n\n[tables]\nnodes = "nodes.csv"\nflows = "flows.csv"\n'


def make(folder: Path, toml: str, **files) -> Path:
    """A case folder with case.toml and the given files (text, or bytes as they are)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.toml").write_text(toml, encoding="utf-8")
    for name, content in files.items():
        path = folder / name.replace("__", ".")
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def line_of(file: Path, text: str) -> int:
    """The 1-based line of the first line of `file` containing `text`."""
    return next(i for i, ln in enumerate(file.read_text(encoding="utf-8").splitlines(), 1)
                if text in ln)


def refused(error, message: str, call):
    """`call()` raises `error` whose message starts with `message` exactly."""
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)
    return info.value


# -- 1. names a case gives resolve inside its folder ------------------------------------

OUTSIDE = "id,kind\nsecret-line-of-the-outside-file,source\n"


@pytest.fixture
def opened(monkeypatch):
    """The paths flowgraph reads while the test runs."""
    seen: list[Path] = []
    real_bytes, real_text = Path.read_bytes, Path.read_text

    def read_bytes(self):
        seen.append(self.resolve())
        return real_bytes(self)

    def read_text(self, *a, **kw):
        seen.append(self.resolve())
        return real_text(self, *a, **kw)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(Path, "read_text", read_text)
    return seen


@pytest.mark.parametrize("how", ["absolute", "dotdot"])
def test_a_table_outside_the_case_folder_is_refused_unread(tmp_path, how, opened):
    secret = tmp_path / "elsewhere" / "nodes.csv"
    secret.parent.mkdir()
    secret.write_text(OUTSIDE)
    name = str(secret) if how == "absolute" else "../elsewhere/nodes.csv"
    case = make(tmp_path / "case", f'[case]\nname = "t"\n\n[tables]\nnodes = "{name}"\n')
    why = "(an absolute path)" if how == "absolute" else "(through '..')"
    err = refused(fg.CaseFileError,
                  f"{case / 'case.toml'}:5: [tables] nodes = '{name}' leads outside the case "
                  f"folder {case.resolve()} {why}; name a file in the case folder, or allow its "
                  f"folder explicitly", lambda: fg.load(case))
    assert "secret-line" not in str(err)
    assert secret.resolve() not in opened


def test_a_symbolic_link_leading_outside_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "nodes.csv").write_text(OUTSIDE)
    case = make(tmp_path / "case", '[case]\nname = "t"\n[tables]\nnodes = "data/nodes.csv"\n')
    (case / "data").symlink_to(tmp_path / "elsewhere")
    refused(fg.CaseFileError, f"{case / 'case.toml'}:4: [tables] nodes = 'data/nodes.csv' "
            f"leads outside the case folder {case.resolve()} (through the symbolic link "
            f"{case / 'data'})", lambda: fg.load(case))


def test_links_and_dotdot_that_stay_inside_are_fine(tmp_path):
    case = make(tmp_path / "case", '[case]\nname = "t"\n[tables]\nnodes = "sub/../link.csv"\n',
                nodes__csv=NODES)
    (case / "sub").mkdir()
    (case / "link.csv").symlink_to(case / "nodes.csv")
    assert list(fg.load(case).network.node_frame().index) == ["src", "p", "snk"]


def test_an_allowed_folder_admits_absolute_and_relative_names(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "nodes.csv").write_text(NODES)
    for name in (str(shared / "nodes.csv"), "../shared/nodes.csv"):
        case = make(tmp_path / "case", f'[case]\nname = "t"\n[tables]\nnodes = "{name}"\n')
        with pytest.raises(fg.CaseFileError, match="leads outside the case folder"):
            load_case(case)
        loaded = load_case(case, allow=[shared])
        assert loaded.allow == (shared.resolve(),)
        assert list(loaded.network.node_frame().index) == ["src", "p", "snk"]


def _copy(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(CASES / name, folder)
    return folder


def _add_key(folder: Path, section: str, line: str) -> int:
    """Put `line` right under the [section] header of case.toml; returns its line."""
    file = folder / "case.toml"
    lines = file.read_text(encoding="utf-8").splitlines()
    at = lines.index(f"[{section}]") + 1
    lines.insert(at, line)
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


PLUGIN_FILES = [  # case, plugin, section, key, file name the plugin would read
    ("glyphosate", "evaluate", "evaluation", "index_system", "index_system.toml"),
    ("glyphosate", "evaluate", "evaluation", "grades", "grades.toml"),
    ("pvc_carbide", "energy", "energy", "checklist", "checklist.toml"),
    ("pvc_carbide", "energy", "energy", "grade_table", "grades.csv"),
    ("pvc_carbide", "synergy", "synergy", "rules", "rules.csv"),
    ("kalundborg", "symbiosis", "symbiosis", "catalogue", "catalogue.csv"),
]


@pytest.mark.parametrize("case_name,plugin,section,key,file", PLUGIN_FILES)
def test_plugin_files_outside_the_case_are_refused_unread(tmp_path, case_name, plugin, section,
                                                          key, file, opened):
    folder = _copy(case_name, tmp_path)
    secret = tmp_path / "elsewhere" / file
    secret.parent.mkdir()
    secret.write_text("secret-line-of-the-outside-file\n")
    text = (folder / "case.toml").read_text(encoding="utf-8")
    (folder / "case.toml").write_text(
        re.sub(rf"(?m)^{key} = .*\n", "", text), encoding="utf-8")
    line = _add_key(folder, section, f'{key} = "{secret}"')
    case = fg.load(folder)
    err = refused(fg.CaseFileError,
                  f"{folder / 'case.toml'}:{line}: [{section}] {key} = '{secret}' leads outside "
                  f"the case folder {folder.resolve()} (an absolute path)",
                  lambda: available()[plugin].report(case))
    assert "secret-line" not in str(err)
    assert secret.resolve() not in opened


def test_a_plugin_file_in_an_allowed_folder_is_read(tmp_path):
    folder = _copy("glyphosate", tmp_path)
    shared = tmp_path / "shared"
    shared.mkdir()
    (folder / "index_system.toml").rename(shared / "index_system.toml")
    text = (folder / "case.toml").read_text(encoding="utf-8")
    (folder / "case.toml").write_text(text.replace(
        'index_system = "index_system.toml"', 'index_system = "../shared/index_system.toml"'),
        encoding="utf-8")
    with pytest.raises(fg.CaseFileError, match=r"\[evaluation\] index_system = "):
        available()["evaluate"].report(fg.load(folder))
    report = available()["evaluate"].report(load_case(folder, allow=[shared]))
    expected = available()["evaluate"].report(fg.load(CASES / "glyphosate"))
    assert report.figures == expected.figures


# -- 2. CSV tables: file, line and column ------------------------------------------------

def csv_case(tmp_path: Path, flows: str | bytes, nodes: str = NODES) -> Path:
    return make(tmp_path, TABLES, nodes__csv=nodes, flows__csv=flows)


def test_text_in_a_number_column(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier,quantity\nsrc,p,ore,5\n\np,snk,ore,five\n")
    err = refused(fg.ModelError, f"{case / 'flows.csv'}:4: flow '1': quantity 'five'",
                  lambda: fg.load(case))
    assert "number" in str(err)


def test_a_number_with_a_unit_is_converted(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier,unit,quantity\nsrc,p,ore,t,2 万t\n"
                              "p,snk,ore,t,\n")
    assert fg.load(case).result().flows["quantity"].tolist() == [20000.0, 20000.0]


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-inf", "1e999"])
def test_nan_and_inf_text_are_refused(tmp_path, cell):
    case = csv_case(tmp_path, f"source,target,carrier,quantity\nsrc,p,ore,5\np,snk,ore,{cell}\n")
    refused(fg.ModelError, f"{case / 'flows.csv'}:3: flow '1': quantity '{cell}' is not a "
            f"value", lambda: fg.load(case))


@pytest.mark.parametrize("cell", ["", "unknown", " Unknown "])
def test_unknown_or_empty_cells_are_unknown_values(tmp_path, cell):
    case = csv_case(tmp_path, f"source,target,carrier,quantity\nsrc,p,ore,5\np,snk,ore,{cell}\n")
    loaded = fg.load(case)
    assert math.isnan(loaded.network.flow_frame()["quantity"].iloc[1])
    assert loaded.result().flows["quantity"].tolist() == [5.0, 5.0]    # the balance fixes it


def test_an_unterminated_quote_names_the_file_line(tmp_path):
    case = csv_case(tmp_path, 'source,target,carrier,quantity,x_label\n\nsrc,p,ore,5,ok\n'
                              'p,snk,ore,5,"never closed\nsrc,snk,ore,1,x\n')
    refused(fg.CaseFileError, f"{case / 'flows.csv'}:4: column 5: a quote opened here is "
            f"never closed", lambda: fg.load(case))


def test_lines_count_quoted_cells_that_span_lines(tmp_path):
    case = csv_case(tmp_path, 'source,target,carrier,quantity,x_label\nsrc,p,ore,5,"two\nlines"'
                              '\np,snk,ore,x,plain\n')
    refused(fg.ModelError, f"{case / 'flows.csv'}:4: flow '1': quantity 'x'",
            lambda: fg.load(case))


def test_duplicate_ids(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier\nsrc,p,ore\n", nodes=NODES + "p,process\n")
    refused(fg.ModelError, f"{case / 'nodes.csv'}:5: node 'p': duplicate node id 'p'",
            lambda: fg.load(case))
    case = csv_case(tmp_path, "id,source,target,carrier\na,src,p,ore\nb,p,snk,ore\na,p,snk,x\n")
    refused(fg.ModelError, f"{case / 'flows.csv'}:4: flow 'a': duplicate flow id 'a'",
            lambda: fg.load(case))


def test_missing_required_columns(tmp_path):
    case = csv_case(tmp_path, "source,carrier,quantity\nsrc,ore,5\n")
    refused(fg.CaseFileError, f"{case / 'flows.csv'}:1: the flow table needs the column(s) "
            f"'target'; its columns are source, carrier, quantity", lambda: fg.load(case))


def test_an_empty_required_cell(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier\nsrc,p,ore\np,,ore\n")
    refused(fg.ModelError, f"{case / 'flows.csv'}:3: flow '1': target is empty",
            lambda: fg.load(case))


def test_a_misspelt_column(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier,quantiy\nsrc,p,ore,5\np,snk,ore,\n")
    refused(fg.CaseFileError, f"{case / 'flows.csv'}:1: column 4 (quantiy): unknown column "
            f"'quantiy'; did you mean 'quantity'?", lambda: fg.load(case))


def test_a_column_named_twice(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier,quantity,quantity\nsrc,p,ore,5,6\n")
    refused(fg.CaseFileError, f"{case / 'flows.csv'}:1: column 5 (quantity): named as column 4 "
            f"is; name every column once", lambda: fg.load(case))


def test_a_truncated_file(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier,quantity,price\nsrc,p,ore,5,3\np,snk,o")
    refused(fg.CaseFileError, f"{case / 'flows.csv'}:3: 3 cells where the header line has 5 "
            f"(source, target, carrier, quantity, price); is the file cut short?",
            lambda: fg.load(case))


def test_an_empty_file(tmp_path):
    case = csv_case(tmp_path, "")
    refused(fg.CaseFileError, f"{case / 'flows.csv'}: the table is empty; it needs a header "
            f"line", lambda: fg.load(case))


def test_a_row_with_too_many_cells(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier,x_label\nsrc,p,ore,a, b\n")
    refused(fg.CaseFileError, f"{case / 'flows.csv'}:2: 5 cells where the header line has 4 "
            f"(source, target, carrier, x_label); quote a cell that holds a comma",
            lambda: fg.load(case))


def test_a_file_that_is_not_utf8(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier,x_label\nsrc,p,ore,ok\n"
                              "p,snk,ore,caf\xe9\n".encode("latin-1"))
    refused(fg.CaseFileError, f"{case / 'flows.csv'}:3: byte 0xe9 is not UTF-8 text; save the "
            f"file as UTF-8", lambda: fg.load(case))


def test_free_columns_keep_their_numbers_and_text(tmp_path):
    case = csv_case(tmp_path, "source,target,carrier,quantity\nsrc,p,ore,5\np,snk,ore,\n",
                    nodes="id,kind,x_mw,x_year,x_remark\nsrc,source,1.5,1998,a\n"
                          "p,process,,2001,\nsnk,sink,2,2003,c\n")
    nodes = fg.load(case).network.node_frame()
    assert nodes["x_year"].tolist() == [1998, 2001, 2003]
    assert nodes["x_mw"].iloc[0] == 1.5 and math.isnan(nodes["x_mw"].iloc[1])
    assert nodes["x_remark"].iloc[0] == "a"


def test_ids_that_look_like_numbers_stay_text(tmp_path):
    case = csv_case(tmp_path, "id,source,target,carrier,quantity\n1,10,20,7,5\n",
                    nodes="id,kind\n10,source\n20,sink\n")
    flows = fg.load(case).network.flow_frame()
    assert list(flows.index) == ["1"] and flows["source"].tolist() == ["10"]


# -- 3. TOML case files: file:line and the item -------------------------------------------

FLOW = '''[case]
name = "t"

[[node]]
id = "src"
kind = "source"

[[node]]
id = "snk"
kind = "sink"

[[flow]]
source = "src"
target = "snk"
carrier = "ore"
quantity = 5
'''


def toml_case(tmp_path: Path, old: str, new: str, extra: str = "") -> Path:
    return make(tmp_path, FLOW.replace(old, new) + extra)


@pytest.mark.parametrize("old,new,line,message", [
    ("quantity = 5", 'quantity = "five"', 12, "flow 'src->snk:ore': quantity 'five'"),
    ("quantity = 5", "quantity = nan", 12, "flow 'src->snk:ore': quantity is nan"),
    ("quantity = 5", "quantity = true", 12, "flow 'src->snk:ore': quantity must be a number"),
    ("quantity = 5", "quantiy = 5", 12, "flow 'src->snk:ore': unknown attribute 'quantiy'; "
                                        "did you mean 'quantity'?"),
    ('carrier = "ore"', "carrier = 5", 12, "flow 'src->snk:5': carrier must be a string"),
    ('source = "src"', 'source = ["src"]', 12, "flow '['src']->snk:ore': source must be"),
    ('id = "snk"', "id = 1.5", 8, "node '1.5': id must be"),
    ('kind = "sink"', "kind = 3", 8, "node 'snk': kind must be a string"),
    ("quantity = 5", 'quantity = "5 kWh"\nunit = "t"', 12, "flow 'src->snk:ore': quantity "
                                                         "'5 kWh': 'kWh' cannot be converted"),
])
def test_a_wrong_value_names_file_line_and_item(tmp_path, old, new, line, message):
    case = toml_case(tmp_path, old, new)
    refused(fg.ModelError, f"{case / 'case.toml'}:{line}: {message}", lambda: fg.load(case))


def test_a_scenario_name_that_is_not_text_names_file_and_line(tmp_path):
    """A table where the name goes (the fuzzer's `name = { x = 1 }`) is refused, not hashed."""
    case = toml_case(tmp_path, "", "", '\n[[scenario]]\nname = { x = 1 }\n')
    refused(fg.CaseFileError, f"{case / 'case.toml'}:19: a scenario's name must be text, not "
            f"{{'x': 1}}", lambda: fg.load(case))


def test_an_empty_id_is_refused_and_a_number_names_a_scenario(tmp_path):
    """id = "" made a flow whose id read back as nothing from flows.csv; name = 2030 is the
    scenario '2030' (joining the names failed on the number)."""
    case = toml_case(tmp_path / "a", 'carrier = "ore"', 'carrier = "ore"\nid = ""')
    refused(fg.ModelError, f"{case / 'case.toml'}:12: flow '': id is empty",
            lambda: fg.load(case))
    case = toml_case(tmp_path / "b", 'id = "snk"', 'id = " "')
    refused(fg.ModelError, f"{case / 'case.toml'}:8: node ' ': id is empty",
            lambda: fg.load(case))
    case = toml_case(tmp_path / "c", "", "", '\n[[scenario]]\nname = 2030\n')
    assert list(fg.load(case).scenarios) == ["2030"]


def test_a_scenario_figure_beyond_the_float_range_is_refused(tmp_path):
    """Free metadata of a scenario reaches a report table as a float: 400 digits overflowed.
    The message points to the key's line, not the scenario's header."""
    case = toml_case(tmp_path, "", "", f'\n[[scenario]]\nname = "s"\nbenefit = {"9" * 400}\n')
    refused(fg.CaseFileError, f"{case / 'case.toml'}:20: scenario 's': benefit is a number of "
            f"400 digits, beyond the float range", lambda: fg.load(case))


def test_case_keys_follow_a_schema(tmp_path):
    case = toml_case(tmp_path, 'name = "t"', 'name = "t"\nyear = "abc"')
    refused(fg.CaseFileError, f"{case / 'case.toml'}:3: [case] year = 'abc' must be an "
            f"integer", lambda: fg.load(case))
    case = toml_case(tmp_path, 'name = "t"', 'name = "t"\nstrict = "no"')
    refused(fg.CaseFileError, f"{case / 'case.toml'}:3: [case] strict = 'no' must be true or "
            f"false", lambda: fg.load(case))
    case = toml_case(tmp_path, 'name = "t"', 'name = "t"\ndescripton = "x"')
    refused(fg.CaseFileError, f"{case / 'case.toml'}:3: [case]: unknown key 'descripton'; did "
            f"you mean 'description'? known: name, period, description, source, strict, year",
            lambda: fg.load(case))
    assert fg.load(toml_case(tmp_path, 'name = "t"', 'name = "t"\nyear = 2020')) \
        .network.meta["year"] == 2020


def test_a_misspelt_core_table(tmp_path):
    case = toml_case(tmp_path, "", "", '\n[[flwo]]\nsource = "src"\n')
    refused(fg.CaseFileError, f"{case / 'case.toml'}:18: [[flwo]] is not a table of a case; "
            f"did you mean [[flow]]?", lambda: fg.load(case))
    case = toml_case(tmp_path, "", "", '\n[tabels]\nnodes = "n.csv"\n')
    refused(fg.CaseFileError, f"{case / 'case.toml'}:18: [tabels] is not a table of a case; "
            f"did you mean [tables]?", lambda: fg.load(case))
    case = toml_case(tmp_path, "", "", '\n[[things]]\nname = "x"\n')
    refused(fg.CaseFileError, f"{case / 'case.toml'}:18: [[things]] is not a table of a case "
            f"(a plugin's section is a table, [things])", lambda: fg.load(case))


@pytest.mark.parametrize("key,value,problem", [
    ("expr", "5", "expr = 5 must be text"),
    ("published", '"high"', "published = 'high' must be a number"),
    ("published", "nan", "published = nan must be a finite number"),
    ("scenario", "1", "scenario = 1 must be text"),
    ("uint", '"t"', "unknown key 'uint'; did you mean 'unit'? known: name, expr, unit, "
                    "published, scenario, note"),
])
def test_a_figure_with_a_bad_key_or_type(tmp_path, key, value, problem):
    figure = '\n[[figure]]\nname = "f"\nexpr = "q(\'src->snk:ore\')"\n'
    figure = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", figure)
    if f"{key} = " not in figure:
        figure += f"{key} = {value}\n"
    case = toml_case(tmp_path, "", "", figure)
    refused(fg.CaseFileError, f"{case / 'case.toml'}:{line_of(case / 'case.toml', key + ' = ')}"
            f": figure 'f': {problem}", lambda: fg.load(case))


def test_a_case_file_that_is_not_utf8(tmp_path):
    (tmp_path / "case.toml").write_bytes('[case]\nname = "caf\xe9"\n'.encode("latin-1"))
    refused(fg.CaseFileError, f"{tmp_path / 'case.toml'}:2: byte 0xe9 is not UTF-8 text",
            lambda: fg.load(tmp_path))


# -- 4. fg.save writes every file the case names ------------------------------------------

BUNDLED = sorted(p.name for p in CASES.iterdir() if (p / "case.toml").exists())
QUICK = {"uncertainty": {"draws": 64}}


def _reports(case) -> dict:
    """The report of every installed plugin whose section the case has."""
    out = {}
    for name, plugin in sorted(available().items()):
        if plugin.section and plugin.section in case.sections:
            out[name] = plugin.report(case, **QUICK.get(name, {}))
    return out


def _portable(text: str, folder: Path) -> str:
    """Text with the case folder and case.toml line numbers taken out: where a row came
    from differs between a case and its saved copy, nothing else may."""
    pattern = re.escape(str(folder.resolve())) + r"|" + re.escape(str(folder))
    return re.sub(r"(case\.toml):\d+", r"\1", re.sub(pattern, "CASE", text))


def _same(a, b, old: Path, new: Path, where: str) -> None:
    """Nested figures equal: numbers to 1e-12, text but for the case folder and line
    numbers; timings (seconds_*) aside."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            if not str(key).startswith("seconds"):
                _same(a[key], b[key], old, new, f"{where} {key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            _same(x, y, old, new, f"{where} [{k}]")
    elif isinstance(a, float):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-9, nan_ok=True), where
    elif isinstance(a, str):
        assert _portable(a, old) == _portable(b, new), where
    else:
        assert a == b, where


def _same_table(a: pd.DataFrame, b: pd.DataFrame, old: Path, new: Path, where: str) -> None:
    """Tables equal: the same columns (in any order), rows, numbers to 1e-9, text but for
    the case folder and line numbers. A factor saved without its rounding noise moves by
    an ulp or two, which first-order uncertainty (finite differences) amplifies to ~3e-12."""
    a, b = a.copy(), b.copy()
    for frame, folder in ((a, old), (b, new)):
        for col in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[col]):
                frame[col] = [_portable(v, folder) if isinstance(v, str) else v
                              for v in frame[col]]
    pd.testing.assert_frame_equal(a, b, rtol=1e-9, check_like=True, check_index_type=False,
                                  obj=where)


@pytest.mark.parametrize("name", BUNDLED)
def test_every_bundled_case_saves_and_runs_the_same(tmp_path, name):
    old, new = CASES / name, tmp_path / name
    case = fg.load(old)
    fg.save(case, new)
    again = fg.load(new)
    _same(case.figure_values(), again.figure_values(), old, new, "figures")
    before, after = _reports(case), _reports(again)
    assert before.keys() == after.keys()
    for plugin, report in before.items():
        _same(report.figures, after[plugin].figures, old, new, plugin)
        assert report.tables.keys() == after[plugin].tables.keys()
        for key, table in report.tables.items():
            _same_table(table, after[plugin].tables[key], old, new, f"{plugin} {key}")


def test_a_saved_case_takes_the_files_it_names(tmp_path):
    case = fg.load(CASES / "glyphosate")
    fg.save(case, tmp_path / "copy")
    assert (tmp_path / "copy" / "index_system.toml").read_bytes() == \
        (CASES / "glyphosate" / "index_system.toml").read_bytes()
    assert not (tmp_path / "copy" / "calibration.toml").exists()    # named by no key


def test_saving_over_its_own_folder_keeps_the_files(tmp_path):
    folder = _copy("glyphosate", tmp_path)
    fg.save(fg.load(folder), folder)
    assert available()["evaluate"].report(fg.load(folder)).figures


# -- 5. the shortest float text ------------------------------------------------------------

@pytest.mark.parametrize("typed", ["0.1", "0.0003023", "12.5", "1e-09", "123456.789", "0.97",
                                   "3.14159", "1e+20", "-2.5", "0.07", "1000000.0", "5e-324"])
def test_typed_decimals_come_back_as_typed(typed):
    assert float_text(float(typed)) == typed


@pytest.mark.parametrize("value,text", [
    (0.0001 * 3.023, "0.0003023"),
    (0.1 + 0.2, "0.3"),
    (1 / 3, "0.3333333333333333"),
    (2 / 3, "0.6666666666666666"),
    (0.1229 / 1000 * 7.9, "0.00097091"),
    (1.0000000000000004, "1.0"),          # 2 ulps from 1: rounding noise
    (1.0000000000000007, "1.0000000000000007"),     # 3 ulps: a value of its own
    (1.000000000000005, "1.000000000000005"),
    (1250 / 156, "8.012820512820513"),    # a ratio keeps its digits
    (1e300 * 1.1, "1.1e+300"),
])
def test_rounding_noise_is_dropped_and_real_digits_kept(value, text):
    assert float_text(value) == text


def test_the_text_reads_back_within_1e15():
    import random
    rng = random.Random(14)
    for _ in range(20000):
        value = rng.uniform(-1, 1) * 10 ** rng.randint(-300, 300)
        back = float(float_text(value))
        assert abs(back - value) <= 1e-15 * abs(value)


def test_saved_files_use_the_shortest_text(tmp_path):
    net = fg.Network("floats")
    net.add_carrier("power", "energy", "kWh", co2=0.0001 * 3.023, price=0.1 + 0.2)
    net.add_node("grid", kind="source")
    net.add_node("plant", kind="sink")
    net.add_flow("grid", "plant", "power", quantity=1 / 3)
    fg.save(net, tmp_path / "a")
    text = (tmp_path / "a" / "case.toml").read_text(encoding="utf-8")
    assert re.search(r"co2 = 0.0003023\b", text) and re.search(r"price = 0.3\b", text)
    assert "quantity = 0.3333333333333333\n" in text and "00000" not in text
    fg.save(net, tmp_path / "b", tables=True)
    assert "0.3333333333333333" in (tmp_path / "b" / "flows.csv").read_text(encoding="utf-8")
    back = fg.load(tmp_path / "a").network
    assert back.carriers["power"].co2 == pytest.approx(0.0001 * 3.023, rel=1e-15)


@pytest.mark.parametrize("section, close", [("valustream", "valuestream"),
                                            ("evaluate", "evaluation"), ("tme", "time")])
def test_a_misspelt_plugin_section_is_refused_not_ignored(tmp_path, section, close):
    """[valustream] was read by nothing, silently: the analysis the user configured did not
    run. A section named like a plugin's (or the entry-point name of one whose section is
    another) is refused by its line; a section of one's own (x_) or of a plugin not
    installed here, unlike any, is kept."""
    case = toml_case(tmp_path / "a", "", "", f"\n[{section}]\nx = 1\n")
    line = (case / "case.toml").read_text().splitlines().index(f"[{section}]") + 1
    refused(fg.CaseFileError, f"{case / 'case.toml'}:{line}: [{section}] is not a section "
            f"any part of flowgraph reads; did you mean [{close}]?", lambda: fg.load(case))
    for kept in (f"x_{section}", "someone_elses_plugin"):
        case = toml_case(tmp_path / kept, "", "", f"\n[{kept}]\nx = 1\n")
        assert kept in fg.load(case).sections


def test_a_figure_given_twice_is_refused_with_both_lines(tmp_path):
    """Two [[figure]] of one name (a block pasted twice, found by fuzzing): figure('x') and
    summary.json read figures by name, and `flowgraph compare` crashed on them."""
    text = (CASES / "demo" / "case.toml").read_text(encoding="utf-8")
    block = '\n[[figure]]\nname = "tce_per_t"\nexpr = "1"\n'
    (tmp_path / "case.toml").write_text(text + block, encoding="utf-8")
    with pytest.raises(fg.CaseFileError, match=r"case\.toml:\d+: figure 'tce_per_t' is given "
                                               r"twice \(first at .*case\.toml:\d+\)"):
        fg.load(tmp_path)
