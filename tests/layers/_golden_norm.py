"""The layers_norm Keras goldens (tests/golden/gen_layers_norm.py): pytest params by layer class and kind."""
import pytest

from _golden_io import load_cases

CASES = load_cases("layers_norm")


def single_cases(*class_names):
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES
            if case["kind"] == "single" and case["class_name"] in class_names]


def cases_of_kind(kind):
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in CASES if case["kind"] == kind]
