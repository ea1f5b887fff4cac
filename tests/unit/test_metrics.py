"""Offline metrics and metadata (DESIGN §6): ``--metric``/``--meta`` pairs and metrics files."""

from __future__ import annotations

import json

import pytest

from gitmodel.errors import UsageError
from gitmodel.metrics import (
    flatten,
    parse_metric_pairs,
    parse_metrics_text,
    parse_pairs,
    to_number,
)

# ---------------------------------------------------------------- pairs


def test_parse_pairs_splits_on_the_first_equals_sign() -> None:
    assert parse_pairs(["framework=sklearn", "note=a=b", "empty="], "meta") == {
        "framework": "sklearn",
        "note": "a=b",
        "empty": "",
    }


def test_parse_pairs_strips_spaces_around_the_key() -> None:
    assert parse_pairs([" owner =ana"], "meta") == {"owner": "ana"}


def test_parse_pairs_later_pairs_win() -> None:
    assert parse_pairs(["a=1", "a=2"], "meta") == {"a": "2"}


def test_parse_pairs_refuses_a_pair_without_equals_naming_the_option() -> None:
    with pytest.raises(UsageError, match=r"--meta 'framework': expected KEY=VALUE"):
        parse_pairs(["framework"], "meta")


@pytest.mark.parametrize("key", ["", "a b", "é", "a,b", 'a"b', "a[0]"])
def test_parse_pairs_refuses_a_key_with_other_characters(key: str) -> None:
    with pytest.raises(UsageError, match=r"meta name .* may only use letters, digits"):
        parse_pairs([f"{key}=1"], "meta")


def test_parse_pairs_accepts_keys_with_dots_colons_slashes_and_dashes() -> None:
    assert parse_pairs(["val/acc:top-1.x_y=1"], "metric") == {"val/acc:top-1.x_y": "1"}


def test_metric_pairs_become_ints_or_floats() -> None:
    metrics = parse_metric_pairs(["accuracy=0.91", "epochs=10", "loss=1e-3", "delta= -2 "])
    assert metrics == {"accuracy": 0.91, "epochs": 10, "loss": 0.001, "delta": -2}
    assert type(metrics["epochs"]) is int
    assert type(metrics["accuracy"]) is float


@pytest.mark.parametrize("value", ["high", "", "nan", "inf", "-inf", "1,5", "true", "0x10"])
def test_metric_pair_with_a_bad_value_names_the_metric(value: str) -> None:
    with pytest.raises(UsageError, match=r"^metric 'accuracy': "):
        parse_metric_pairs([f"accuracy={value}"])


def test_metric_pair_without_equals_names_the_metric_option() -> None:
    with pytest.raises(UsageError, match=r"--metric 'accuracy': expected KEY=VALUE"):
        parse_metric_pairs(["accuracy"])


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, 1), (0.5, 0.5), ("3", 3), (" 3 ", 3), ("0.25", 0.25), ("-1e2", -100.0), (-0.0, 0.0)],
)
def test_to_number_accepts_ints_floats_and_numeric_text(value: object, expected: float) -> None:
    assert to_number("m", value) == expected


@pytest.mark.parametrize(
    "value", [True, False, None, "x", float("nan"), float("inf"), "NaN", "-Infinity", [1], {}]
)
def test_to_number_refuses_non_numbers_naming_the_metric(value: object) -> None:
    with pytest.raises(UsageError, match=r"^metric 'val.acc': "):
        to_number("val.acc", value)


# ---------------------------------------------------------------- JSON files


def test_json_nested_objects_are_flattened_with_dots() -> None:
    text = json.dumps({"accuracy": 0.9, "val": {"loss": 0.1, "top": {"k1": 1, "k5": 0.99}}})
    assert parse_metrics_text(text, "json", "metrics.json") == {
        "accuracy": 0.9,
        "val.loss": 0.1,
        "val.top.k1": 1,
        "val.top.k5": 0.99,
    }


def test_json_numeric_strings_are_accepted() -> None:
    assert parse_metrics_text('{"a": "0.5"}', "json", "m.json") == {"a": 0.5}


@pytest.mark.parametrize(
    ("doc", "name"),
    [
        ({"acc": "high"}, "acc"),
        ({"acc": True}, "acc"),
        ({"acc": None}, "acc"),
        ({"acc": [0.9]}, "acc"),
        ({"val": {"acc": "x"}}, "val.acc"),
        ({"val": {"deep": {"acc": False}}}, "val.deep.acc"),
    ],
)
def test_json_bad_value_names_the_file_and_the_metric(doc: dict[str, object], name: str) -> None:
    with pytest.raises(UsageError, match=f"^metrics.json: metric '{name}': "):
        parse_metrics_text(json.dumps(doc), "json", "metrics.json")


def test_json_nan_is_refused() -> None:
    with pytest.raises(UsageError, match=r"metric 'acc'.*finite"):
        parse_metrics_text('{"acc": NaN}', "json", "m.json")


def test_json_key_with_a_space_is_refused() -> None:
    with pytest.raises(UsageError, match=r"may only use letters"):
        parse_metrics_text('{"my acc": 1}', "json", "m.json")


def test_invalid_json_names_the_file_and_the_line() -> None:
    with pytest.raises(UsageError, match=r"^m\.json: invalid JSON \(.* at line 2\)"):
        parse_metrics_text('{"a": 1,\n oops}', "json", "m.json")


@pytest.mark.parametrize("text", ["[1, 2]", "3", '"acc"', "null"])
def test_json_that_is_not_an_object_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match=r"^m.json: expected a JSON object"):
        parse_metrics_text(text, "json", "m.json")


# ---------------------------------------------------------------- CSV files


def test_csv_name_value_rows() -> None:
    text = "accuracy,0.91\nf1, 0.8\nepochs,10\n"
    assert parse_metrics_text(text, "csv", "m.csv") == {"accuracy": 0.91, "f1": 0.8, "epochs": 10}


@pytest.mark.parametrize("header", ["name,value", "metric,value", "Name,Value", " metric , v"])
def test_csv_name_value_rows_with_a_header(header: str) -> None:
    text = f"{header}\naccuracy,0.91\nf1,0.8\n"
    assert parse_metrics_text(text, "csv", "m.csv") == {"accuracy": 0.91, "f1": 0.8}


def test_csv_header_of_names_above_one_row_of_values() -> None:
    text = "accuracy,f1,auc\n0.91,0.8,0.75\n"
    assert parse_metrics_text(text, "csv", "m.csv") == {"accuracy": 0.91, "f1": 0.8, "auc": 0.75}


def test_csv_header_of_one_name_above_its_value() -> None:
    assert parse_metrics_text("accuracy\n0.91\n", "csv", "m.csv") == {"accuracy": 0.91}


def test_csv_blank_lines_are_ignored() -> None:
    text = "\naccuracy,0.9\n\n , \nf1,1\n"
    assert parse_metrics_text(text, "csv", "m.csv") == {"accuracy": 0.9, "f1": 1}


def test_csv_crlf_line_endings() -> None:
    assert parse_metrics_text("a,0.5\r\nb,2\r\n", "csv", "m.csv") == {"a": 0.5, "b": 2}


def test_csv_header_of_two_names_above_one_row_of_values() -> None:
    assert parse_metrics_text("accuracy,f1\n0.91,0.8\n", "csv", "m.csv") == {
        "accuracy": 0.91,
        "f1": 0.8,
    }


def test_csv_bad_value_names_the_file_and_the_metric() -> None:
    with pytest.raises(UsageError, match=r"^m.csv: metric 'f1': 'high' is not a number"):
        parse_metrics_text("accuracy,0.9\nf1,high\n", "csv", "m.csv")
    with pytest.raises(UsageError, match=r"^m.csv: metric 'auc': "):
        parse_metrics_text("accuracy,f1,auc\n0.9,0.8,nan\n", "csv", "m.csv")


@pytest.mark.parametrize("text", ["", "\n\n", " , \n"])
def test_csv_without_metrics_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match=r"^m.csv: no metrics in the file"):
        parse_metrics_text(text, "csv", "m.csv")


@pytest.mark.parametrize("text", ["a,b,c\n1,2\n", "a,b,c\n1,2,3\n4,5,6\n", "a,1\nb\n"])
def test_csv_of_another_shape_is_refused(text: str) -> None:
    with pytest.raises(UsageError, match=r"CSV must be 'name,value' rows or a header and one row"):
        parse_metrics_text(text, "csv", "m.csv")


def test_unknown_format_is_refused_naming_the_supported_ones() -> None:
    with pytest.raises(UsageError, match=r"^m\.xml: unknown metrics format 'xml'; use \.json"):
        parse_metrics_text("<a/>", "xml", "m.xml")


# ---------------------------------------------------------------- flatten (YAML data)


def test_flatten_of_yaml_like_data_with_a_prefix() -> None:
    assert flatten({"a": {"b": 1}, "c": 2.5}, "m.yaml", prefix="eval.") == {
        "eval.a.b": 1,
        "eval.c": 2.5,
    }


def test_flatten_of_an_empty_mapping_is_empty() -> None:
    assert flatten({}, "m.yaml") == {}
