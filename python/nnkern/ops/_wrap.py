"""The one place where ops get their public name and their error style."""
import functools

import numpy as np


_PREFIXES = ("ops.", "backend.", "losses.", "metrics.")
# The protocol by which an op called on a symbolic tensor records a graph node instead of computing
# (Keras's ops do `if any_symbolic_tensors(...): return Op(...).symbolic_call(...)`): a tensor type
# defining this method (nnkern's KerasTensor) gets `method(public name, op, args, kwargs)` called. The
# engine owns symbolic tensors and sits above ops, so ops only look the method up, as numpy does with
# `__array_function__`.
SYMBOLIC_OP_METHOD = "__nnkern_op__"


def _symbolic_handler(args, kwargs):
    """The SYMBOLIC_OP_METHOD of the first argument (or element of a list / tuple argument) defining it."""
    for value in (*args, *kwargs.values()):
        for item in value if isinstance(value, (list, tuple)) else (value,):
            handler = getattr(type(item), SYMBOLIC_OP_METHOD, None)
            if handler is not None:
                return handler
    return None


def _describe_arguments(fn, args, kwargs):
    """'x of shape (2, 3), axis=2': what the caller gave, for messages that do not say it (numpy's)."""
    import inspect  # only on the error path: keeps `import nnkern` fast

    try:
        given = inspect.signature(fn).bind_partial(*args, **kwargs).arguments
    except TypeError:
        return ""
    parts = []
    for key, value in given.items():
        if hasattr(value, "shape"):
            parts.append(f"{key} of shape {tuple(value.shape)}")
        elif isinstance(value, (list, tuple)) and value and all(hasattr(v, "shape") for v in value):
            parts.append(f"{key} of shapes {[tuple(v.shape) for v in value]}")
        else:
            text = repr(value)
            parts.append(f"{key}={text if len(text) <= 40 else text[:37] + '...'}")
    return ", ".join(parts)


def _named_error(exc, name, fn=None, args=(), kwargs=None):
    """The same kind of error, its message prefixed with the public name of the function the user
    called (an inner op's name, ``losses.mse`` calling ``ops.mean``, is replaced by the outer one),
    and the given shapes appended when the message does not say what it got."""
    msg = str(exc).rstrip()
    if msg.startswith(name + ": "):
        return None
    if msg.startswith(_PREFIXES) and ": " in msg:
        msg = msg.split(": ", 1)[1]
    elif fn is not None and "got" not in msg and "Received" not in msg:
        described = _describe_arguments(fn, args, kwargs or {})
        if described:
            msg = f"{msg} (got {described})"
    if isinstance(exc, ValueError):  # includes numpy's AxisError
        cls = ValueError
    elif isinstance(exc, TypeError):
        cls = TypeError
    else:
        cls = IndexError
    return cls(f"{name}: {msg}")


def keras_op(fn=None, *, name=None, prefix="ops", doc=None):
    """Give ``fn`` its Keras name (``name``, else its own) and docstring (``doc``, else its own) and
    turn numpy's errors into ValueError / TypeError / IndexError whose message starts with
    ``ops.<name>:``. numpy floating-point warnings (log(0), 0/0) are silenced: Keras returns inf / nan
    quietly. An ``ops`` function given a symbolic tensor records a graph node instead (see
    SYMBOLIC_OP_METHOD)."""
    def decorate(f):
        public = name or f.__name__
        full = f"{prefix}.{public}"
        symbolic = prefix == "ops"  # keras.ops record graph nodes on symbolic tensors; losses etc. do not

        @functools.wraps(f)
        def op(*args, **kwargs):
            if symbolic:
                handler = _symbolic_handler(args, kwargs)
                if handler is not None:
                    return handler(public, op, args, kwargs)
            try:
                with np.errstate(all="ignore"):
                    return f(*args, **kwargs)
            except (ValueError, TypeError, IndexError) as exc:
                named = _named_error(exc, full, f, args, kwargs)
                if named is None:
                    raise
                raise named from exc

        op.__name__ = op.__qualname__ = public
        if doc is not None:
            op.__doc__ = doc
        return op

    return decorate(fn) if fn is not None else decorate
