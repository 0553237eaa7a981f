"""nnkern: run Keras models fast on the CPU.

C++/Eigen forward kernels (``nnkern._core``) under a Keras-compatible layer and model API, so that
``import nnkern as keras`` runs Keras code and Keras-trained models without TensorFlow.
"""
from nnkern import _core
from nnkern._config import get_num_threads, set_num_threads, show_config
from nnkern import activations, initializers, layers, models, saving
from nnkern.engine.input_layer import Input
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.engine.variable import Variable
from nnkern.models import Model, Sequential

__version__ = _core.__version__

__all__ = ["__version__", "get_num_threads", "set_num_threads", "show_config", "activations", "initializers",
           "layers", "models", "saving", "Input", "KerasTensor", "Layer", "Model", "Sequential", "Variable"]
