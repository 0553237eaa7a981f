"""nnkern: run Keras models fast on the CPU.

C++/Eigen forward kernels (``nnkern._core``) under a Keras-compatible layer and model API, so that
``import nnkern as keras`` runs Keras code and Keras-trained models without TensorFlow.
"""
# _cpu is built for baseline x86-64: its import raises ImportError, naming the missing instruction
# sets, on a CPU that could not run _core (built for x86-64-v3 by default) without a SIGILL.
from nnkern import _cpu  # noqa: F401  (must stay before _core)
from nnkern import _core
from nnkern._config import get_num_threads, set_num_threads, show_config
from nnkern import activations, constraints, initializers, layers, models, regularizers, saving
from nnkern.engine.input_layer import Input
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.engine.variable import Variable
from nnkern.models import Model, Sequential

__version__ = _core.__version__

# Imported on first use (``nnkern.backend``, ``from nnkern import losses``): most models never touch
# them, and ``import nnkern`` must stay fast.
_LAZY_SUBMODULES = ("applications", "backend", "explore", "losses", "metrics", "ops", "utils")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")  # also binds it as an attribute of nnkern
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY_SUBMODULES))


__all__ = ["__version__", "get_num_threads", "set_num_threads", "show_config", "activations", "applications",
           "backend", "constraints", "explore", "initializers", "layers", "losses", "metrics", "models", "ops",
           "regularizers", "saving", "utils", "Input", "KerasTensor", "Layer", "Model", "Sequential", "Variable"]
