"""nnkern.models: Model (functional or subclassed), Sequential."""
from nnkern.models.functional import Functional
from nnkern.models.model import Model
from nnkern.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=False, safe_mode=True):
    """A model from a Keras 3 `.keras` or Keras 2 `.h5` file (see nnkern.saving.load_model)."""
    from nnkern.saving import load_model as _load_model
    return _load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Write `model` as a Keras 3 `.keras` file (see nnkern.saving.save_model)."""
    from nnkern.saving import save_model as _save_model
    _save_model(model, filepath, overwrite=overwrite, **kwargs)


__all__ = ["Model", "Sequential", "Functional", "load_model", "save_model"]
