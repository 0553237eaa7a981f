"""Errors raised when reading or writing model files. All are ValueErrors, as in Keras."""
import contextlib


class SavingError(ValueError):
    """Base class of nnkern.saving errors."""


class MalformedFileError(SavingError):
    """The file is not a readable model file: not a zip/HDF5, truncated, members missing, or contents
    inconsistent (weights disagreeing with the config, sizes beyond the limits)."""


class UnsupportedLayersError(SavingError):
    """The model uses layer classes nnkern does not implement (all of them are listed)."""


class UnsafeDeserializationError(SavingError):
    """safe_mode is on and the file asks for code to run: Python bytecode, a Lambda's function, or a function
    named outside nnkern's allowlist (see saving/safe_mode.py)."""


@contextlib.contextmanager
def file_errors(what):
    """Reading a file's contents raises only the errors above: anything else a corrupt or hostile file
    makes h5py, zipfile, json or a layer raise (OSError, KeyError, RuntimeError, SystemError, ...)
    becomes a MalformedFileError naming the file."""
    try:
        yield
    except SavingError:
        raise
    except RecursionError:
        raise MalformedFileError(f"{what}: the file nests too deeply to read (RecursionError).") from None
    except Exception as e:
        raise MalformedFileError(f"{what} could not be read: {type(e).__name__}: {e}") from e
