"""The seeded weights of the keras.applications corpus (gen_applications.py, gen_applications_h5.py):
the committed files hold a model's config and Keras's output only, and both the generator (on the Keras
model) and the tests (on nnkern's) recreate the weights with `recipe_weights`. Needs numpy only.

A weight's values depend on its index in `model.weights`, its name and its shape (Keras's, stored with
the case), so a model whose weights come in another order or shape gets other values and fails. The
scales keep a randomly weighted deep network's outputs finite and far from float32's limits (max |y|
from 0.36 to 2.0e7 over the corpus, the largest ResNet152's; residual sums grow it, not the layers):
kernels are He-uniform (variance 2 / fan_in), BatchNormalization variances near 1 and means near 0 (its
inference-time normalization then neither grows nor shrinks the signal), scales near 1, offsets and
biases small.

Residual branches: where each block adds its branch to its input, the sum grows with depth, and with it
float32 rounding (the deeper ResNetRS outputs drifted from tf-keras's by up to 7e-1 of max |y|). So the
BatchNormalization gamma that closes a residual branch is small, as LayerScale's gamma is (training
recipes for residual networks start that gamma at zero for the same reason). Those layers are recognised
by their tf-keras names (RESIDUAL_BRANCH_GAMMAS): the Keras 3 corpus, whose weight names carry no layer
name, keeps its weights."""
import re

import numpy as np

# Weights whose kernel taps are per channel: fan_in is the window, not window * channels.
_PER_CHANNEL_KERNELS = ("depthwise_kernel",)

# tf-keras weight names of the BatchNormalization gammas that close a residual branch (the last BN before
# the block's Add): ResNetRS's `BlockGroup<g>__block_<k>__batch_norm_3` (every block adds); EfficientNet's and
# EfficientNetV2's `block<n><letter>_project_bn` of every block after the first of its stage (letter b, c,
# ...: stride 1 and as many filters out as in, so the block adds its input back). The first block of
# EfficientNetV2S/M/L's first stage adds too but keeps the ordinary gamma: one sum does not compound.
RESIDUAL_BRANCH_GAMMAS = re.compile(r"(BlockGroup\d+__block_\d+__batch_norm_3|block\d+[b-z]_project_bn)/gamma:0")


def _fan_in(name, shape):
    if len(shape) < 2:
        return 1
    if name.endswith(_PER_CHANNEL_KERNELS):
        return int(np.prod(shape[:-2]))
    return int(np.prod(shape[:-1]))


def recipe_weight(index, name, shape, seed=0):
    """float32 values (int64 for a Normalization layer's `count`) for weight `index` of a model."""
    rng = np.random.default_rng([seed, index])
    base = name.rsplit("/", 1)[-1].split(":")[0]
    shape = tuple(int(d) for d in shape)

    def uniform(low, high):
        return rng.uniform(low, high, size=shape).astype(np.float32)

    if base == "count":
        return np.full(shape, 1000, dtype=np.int64)
    if "variance" in base:
        return uniform(0.6, 1.4)
    if base in ("moving_mean", "mean"):
        return uniform(-0.2, 0.2)
    if base == "gamma":
        return uniform(0.1, 0.3) if RESIDUAL_BRANCH_GAMMAS.fullmatch(name) else uniform(0.8, 1.2)
    if base == "variable" and len(shape) == 1:  # LayerScale's gamma: a residual branch scaled down
        return uniform(0.3, 0.7)
    if base in ("beta", "bias") or len(shape) < 2:
        return uniform(-0.2, 0.2)
    limit = np.sqrt(3.0 * 2.0 / _fan_in(base, shape))
    return uniform(-limit, limit)


def recipe_weights(specs, seed=0):
    """[array, ...] for [(name, shape), ...] in `model.weights` order."""
    return [recipe_weight(i, name, shape, seed) for i, (name, shape) in enumerate(specs)]


def set_recipe_weights(model, specs, seed=0):
    """Assign recipe_weights(specs, seed) to model.weights one at a time (Keras 3, tf-keras or nnkern
    variables): a list of all of them would double a big model's memory (ConvNeXtXLarge: 1.4 GB)."""
    variables = model.weights
    assert len(variables) == len(specs), (len(variables), len(specs))
    for i, (variable, (name, shape)) in enumerate(zip(variables, specs)):
        variable.assign(recipe_weight(i, name, shape, seed))


def recipe_input(spec):
    """The fixed input {'shape', 'seed', 'low', 'high'} of a case: float32 uniform in [low, high)."""
    rng = np.random.default_rng(spec["seed"])
    return rng.uniform(spec["low"], spec["high"], size=tuple(spec["shape"])).astype(np.float32)
