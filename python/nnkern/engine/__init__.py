"""The layer/graph machinery under nnkern.layers and nnkern.models (see layer.py for the Layer contract)."""
from nnkern.engine.input_layer import Input, InputLayer
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.keras_tensor import KerasTensor
from nnkern.engine.layer import Layer
from nnkern.engine.naming import auto_name, reset_names
from nnkern.engine.variable import Variable

__all__ = ["Input", "InputLayer", "InputSpec", "KerasTensor", "Layer", "Variable", "auto_name", "reset_names"]
