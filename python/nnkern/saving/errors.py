"""Errors raised when reading or writing model files. All are ValueErrors, as in Keras."""


class SavingError(ValueError):
    """Base class of nnkern.saving errors."""


class MalformedFileError(SavingError):
    """The file is not a readable model file: not a zip/HDF5, truncated, members missing, or contents
    inconsistent (weights disagreeing with the config, sizes beyond the limits)."""


class UnsupportedLayersError(SavingError):
    """The model uses layer classes nnkern does not implement (all of them are listed)."""


class UnsafeDeserializationError(SavingError):
    """The file holds Python bytecode (a Lambda's function) and safe_mode is on."""
