"""Loading Python functions stored in model configs (a Lambda's function): Keras's format, a base64
marshal of the code object (as keras' python_utils.func_load; layers/core.py writes it). Loading one
runs bytecode from the file, so it is refused unless the caller passes safe_mode=False."""
import binascii
import codecs
import marshal
import types

from nnkern.saving.errors import MalformedFileError, UnsafeDeserializationError

UNSAFE_MESSAGE = (
    "Requested the deserialization of a Lambda layer whose function is stored as Python bytecode "
    "(in {what}). Loading it executes code from the file, a potential risk of arbitrary code execution, so "
    "it is disallowed by default. If you trust the source of the file, pass `safe_mode=False` to the "
    "loading function (e.g. `nnkern.models.load_model(path, safe_mode=False)`).")


def _cell(value):
    return (lambda: value).__closure__[0]


def func_load(code, defaults=None, closure=None, globs=None, what="the model file"):
    """The function dumped by func_dump (also Keras 2's `[code, defaults, closure]` list)."""
    if isinstance(code, (list, tuple)):
        code, defaults, closure = (list(code) + [None, None])[:3]
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    if not isinstance(code, str):
        raise MalformedFileError(f"A Lambda function in {what} is not a base64 string of bytecode.")
    try:
        raw = codecs.decode(code.encode("ascii"), "base64")
    except (UnicodeEncodeError, binascii.Error):
        raw = code.encode("raw_unicode_escape")
    try:
        code_object = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as e:
        raise MalformedFileError(f"A Lambda function in {what} could not be read: its bytecode is invalid or "
                                 f"from another Python version ({e}).") from None
    if not isinstance(code_object, types.CodeType):
        raise MalformedFileError(f"A Lambda function in {what} does not hold a code object.")
    if closure is not None:
        closure = tuple(_cell(v) for v in closure)
    if globs is None:
        globs = _lambda_globals()
    return types.FunctionType(code_object, globs, name=code_object.co_name, argdefs=defaults, closure=closure)


def _lambda_globals():
    """The names Lambda functions commonly use, bound to nnkern's equivalents. `keras` is a namespace of
    nnkern's submodules (saving sits below the package root, so it does not import `nnkern` itself)."""
    import numpy

    from nnkern import activations, backend, initializers, layers, losses, metrics, models, ops, utils
    keras = types.SimpleNamespace(activations=activations, backend=backend, initializers=initializers,
                                  layers=layers, losses=losses, metrics=metrics, models=models, ops=ops,
                                  utils=utils, Input=layers.Input, Model=models.Model, Sequential=models.Sequential)
    return {"__builtins__": __builtins__, "keras": keras, "np": numpy, "numpy": numpy, "K": backend, "ops": ops}


def refuse_unsafe(what):
    raise UnsafeDeserializationError(UNSAFE_MESSAGE.format(what=what))
