"""nnkern: run Keras models fast on the CPU.

C++/Eigen forward kernels (``nnkern._core``) under a Keras-compatible layer and model API, so that
``import nnkern as keras`` runs Keras code and Keras-trained models without TensorFlow.
"""
from nnkern import _core
from nnkern._config import get_num_threads, set_num_threads, show_config

__version__ = _core.__version__

__all__ = ["__version__", "get_num_threads", "set_num_threads", "show_config"]
