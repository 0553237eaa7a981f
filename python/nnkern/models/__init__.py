"""nnkern.models: Model (functional or subclassed), Sequential."""
from nnkern.models.functional import Functional
from nnkern.models.model import Model
from nnkern.models.sequential import Sequential

__all__ = ["Model", "Sequential", "Functional"]
