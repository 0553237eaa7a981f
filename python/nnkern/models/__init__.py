"""nnkern.models: Model (functional or subclassed), Sequential."""
from nnkern.engine.registry import register_entry_completer, register_namespace
from nnkern.models.functional import Functional
from nnkern.models.model import Model
from nnkern.models.persistence import load_model, model_from_json, save_model
from nnkern.models.sequential import Sequential
from nnkern.models.serialization import complete_model_entry

register_namespace(globals())  # deserialize() finds Model, Sequential, Functional by name
register_entry_completer(Model, complete_model_entry)

__all__ = ["Model", "Sequential", "Functional", "load_model", "model_from_json", "save_model"]
