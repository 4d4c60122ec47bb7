"""The parameter schema: every key declares a type and range in its notebooks; values are checked
(and dates normalised) before any notebook starts."""
from __future__ import annotations

import datetime as dt

import pytest

from crmlib import paths
from crmlib.io import InputError
from crmlib.params import check_run_name, check_values, load_params, parse_spec, safe_run_name
from crmlib.notebook_params import discover_notebooks, parameter_schema, parameters_cell
from crmlib.params import split_comment

SCHEMA = parameter_schema()
SPECS = {name: row.spec for name, row in SCHEMA.items()}


def test_every_parameter_declares_one_type_in_every_notebook():
    for notebook in discover_notebooks():
        for name, _, comment in parameters_cell(notebook):
            spec, meaning = split_comment(comment)
            assert spec is not None, f"{notebook.name}: `{name}` has no [type] in its comment"
            assert spec.text == SCHEMA[name].spec.text, \
                f"{notebook.name}: `{name}` is declared as [{spec.text}], elsewhere [{SCHEMA[name].spec.text}]"
    for name, row in SCHEMA.items():
        assert row.help, f"`{name}` has no meaning after its type in any notebook"


def test_every_default_fits_its_declared_type():
    for notebook in discover_notebooks():
        for name, default, _ in parameters_cell(notebook):
            SPECS[name].check(name, default)  # raises if a default breaks its own declaration


@pytest.mark.parametrize("key, value, normalised", [
    ("as_of_date", dt.date(2024, 12, 31), "2024-12-31"),        # YAML: as_of_date: 2024-12-31
    ("as_of_date", "2024-12-31", "2024-12-31"),                 # YAML: as_of_date: "2024-12-31"
    ("earlier_date", dt.date(2024, 6, 30), "2024-06-30"),
    ("opening_date", dt.datetime(2015, 3, 1), "2015-03-01"),
    ("calibration_end", dt.date(2024, 7, 1), "2024-07-01"),
    ("churn_cutoffs", [dt.date(2024, 3, 31), "2024-06-30"], ["2024-03-31", "2024-06-30"]),
    ("delimiter", "|", "|"),
    ("delimiter", "\t", "\t"),
    ("k", 4.0, 4),
    ("k", "auto", "auto"),
    ("margin", 1, 1),
    ("validation_rules", {"reject_duplicates": False, "cancel_statuses": ["void"]},
     {"reject_duplicates": False, "cancel_statuses": ["void"]}),
])
def test_values_that_fit_are_normalised(key, value, normalised):
    assert check_values({key: value}, SPECS) == {key: normalised}


@pytest.mark.parametrize("key, value, expected", [
    ("decimal", "x", '"." or "," or null'),
    ("dayfirst", "maybe", "true or false"),
    ("churn_inactive_days", -5, "from 1 to 3650"),
    ("as_of_date", "banana", "a date YYYY-MM-DD"),
    ("as_of_date", "2024-13-45", "a date YYYY-MM-DD"),
    ("as_of_date", "9999-12-31", "between 1900-01-01 and 2199-12-31"),
    ("as_of_date", dt.date(9999, 12, 31), "between 1900-01-01 and 2199-12-31"),
    ("lang", "fr", '"en" or "id"'),
    ("delimiter", ";;", "one character"),
    ("columns", 5, "a mapping"),
    ("validation_rules", [1], "a mapping"),
    ("currency", "<img src=x onerror=alert(1)>", "matching [A-Z]{3}"),
    ("run_name", "client/2024", "a safe folder name"),
    ("run_name", "[oops", "a safe folder name"),
    ("run_name", "..", "a safe folder name"),
    ("run_name", "x" * 300, "a safe folder name"),
    ("rfm_bins", True, "a whole number"),
    ("churn_risk_bands", [0.3], "a list of 2 values"),
    ("churn_cutoffs", ["2024-02-30"], "a date"),
    ("margin", float("nan"), "a number"),
])
def test_values_outside_their_type_are_refused_with_what_was_expected(key, value, expected):
    with pytest.raises(InputError) as err:
        check_values({key: value}, SPECS)
    assert f"`{key}`" in str(err.value) and expected in str(err.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(InputError) as err:
        check_values({"decimal": "x", "lang": "fr", "margin": 2}, SPECS)
    assert all(f"`{key}`" in str(err.value) for key in ("decimal", "lang", "margin"))


def test_set_values_yaml_cannot_read_are_kept_as_text(tmp_path):
    params = load_params(None, ["delimiter=|", "columns.amount=Total: Rp", "run_name=[oops",
                                "as_of_date=2024-12-31", 'earlier_date="2024-06-30"'])
    assert params == {"delimiter": "|", "columns": {"amount": "Total: Rp"}, "run_name": "[oops",
                      "as_of_date": dt.date(2024, 12, 31), "earlier_date": "2024-06-30"}
    checked = check_values({k: v for k, v in params.items() if k != "run_name"}, SPECS)
    assert checked["as_of_date"] == "2024-12-31" and checked["earlier_date"] == "2024-06-30"


def test_params_file_dates_typed_both_ways(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text('as_of_date: 2024-12-30\nearlier_date: "2024-06-30"\nchurn_cutoffs: [2024-03-31]\n',
                    encoding="utf-8")
    assert check_values(load_params(path), SPECS) == {
        "as_of_date": "2024-12-30", "earlier_date": "2024-06-30", "churn_cutoffs": ["2024-03-31"]}
    with pytest.raises(InputError, match="is a folder"):
        load_params(tmp_path)


@pytest.mark.parametrize("name", ["sample", "client_2024-12", "a", "run.v2", "A1"])
def test_safe_run_names(name):
    assert check_run_name(name) == name


@pytest.mark.parametrize("name", ["../data", "/etc", ".", "..", "a/b", "a\\b", ".hidden", "x.", "con",
                                  "x" * 101, "", "sample.previous", ".sample.partial-1", 2024, "a b"])
def test_unsafe_run_names_are_refused(name):
    with pytest.raises(InputError, match="not a safe folder name"):
        check_run_name(name)


def test_run_name_from_a_file_name():
    assert safe_run_name("my export (2024)") == "my_export_2024"
    assert safe_run_name("...") == "run"
    assert len(safe_run_name("x" * 300)) <= 100


def test_spec_notation():
    spec = parse_spec('"auto" | int 2..50')
    assert spec.check("k", 3) == 3 and spec.check("k", "auto") == "auto"
    assert parse_spec("file | null; sample").flags == {"sample"}
    with pytest.raises(ValueError):
        parse_spec("integer")
    with pytest.raises(ValueError):
        parse_spec("list[int")


def test_a_spec_says_which_kinds_it_allows():
    assert parse_spec("date | null").allows("date") and parse_spec("list[date]").allows("date")
    assert parse_spec("map[list[date]]").allows("date")
    assert not parse_spec('"auto" | int 2..50').allows("date") and not parse_spec("map").allows("date")


def test_docs_describe_the_notation():
    docs = (paths.PROJECT_ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    for word in ("`bool`", "`int 1..3650`", "`date`", "`file`", "`name`", "`char`", "`list[T]`", "`map[T]`",
                 "(sample)", "typed either way"):
        assert word in docs


@pytest.mark.parametrize("name", ["sample.yaml", "cdnow.yaml", "online_retail.yaml"])
def test_bundled_params_files_fit_the_schema(name):
    params = load_params(paths.PROJECT_ROOT / "params" / name)
    assert set(params) <= set(SCHEMA)
    check_values(params, SPECS)
