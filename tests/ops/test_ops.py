"""nnkern.ops (and nnkern.utils) against Keras 3 goldens, a numpy reference, and bad arguments."""
import numpy as np
import pytest

import nnkern
from _op_cases import assert_matches_golden, load_op_cases, run_case

INPUTS, CASES = load_op_cases(["ops.", "utils."])


@pytest.mark.parametrize("case,golden", CASES, ids=[c["id"] for c, _ in CASES])
def test_matches_keras(case, golden):
    assert_matches_golden(case, golden, run_case(case, INPUTS, nnkern))
