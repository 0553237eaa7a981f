"""nnkern.models: Model (functional or subclassed), Sequential."""
import sys as _sys

from nnkern.engine.registry import register_entry_completer, register_namespace
from nnkern.models.functional import Functional
from nnkern.models.model import Model
from nnkern.models.persistence import load_model, model_from_json, save_model
from nnkern.models.sequential import Sequential

register_namespace(_sys.modules[__name__])  # deserialize() finds Model, Sequential, Functional by name


def _complete_model_entry(model, entry):
    from nnkern.models.serialization import complete_model_entry  # here: imported when a model is first saved
    return complete_model_entry(model, entry)


register_entry_completer(Model, _complete_model_entry)

__all__ = ["Model", "Sequential", "Functional", "load_model", "model_from_json", "save_model"]
