"""Every single-layer golden case (tests/golden/gen_layers.py, Keras 3): outputs and their dtypes, output
shapes, masks, weight shapes and paths in get_weights() order, count_params, get_config() and build_config."""
import pytest

from _nnkern_golden import _ZOO, check_layer_case, layer_cases

ALL = sorted({case[1] for case in _ZOO.values()})


@pytest.mark.parametrize("zoo_case,golden,arrays", layer_cases(*ALL))
def test_layer_matches_keras(zoo_case, golden, arrays):
    check_layer_case(zoo_case, golden, arrays)
