"""The one place where ops get their public name and their error style."""
import functools

import numpy as np


_PREFIXES = ("ops.", "backend.", "losses.", "metrics.")


def _named_error(exc, name):
    """The same kind of error, its message prefixed with the public name of the function the user
    called: an inner op's name (``losses.mse`` calling ``ops.mean``) is replaced by the outer one."""
    msg = str(exc)
    if msg.startswith(name + ": "):
        return None
    if msg.startswith(_PREFIXES) and ": " in msg:
        msg = msg.split(": ", 1)[1]
    if isinstance(exc, ValueError):  # includes numpy's AxisError
        cls = ValueError
    elif isinstance(exc, TypeError):
        cls = TypeError
    else:
        cls = IndexError
    return cls(f"{name}: {msg}")


def keras_op(fn=None, *, name=None, prefix="ops"):
    """Give ``fn`` its Keras name and turn numpy's errors into ValueError / TypeError / IndexError
    whose message starts with ``ops.<name>:``. numpy floating-point warnings (log(0), 0/0) are
    silenced: Keras returns inf / nan quietly."""
    def decorate(f):
        public = name or f.__name__
        full = f"{prefix}.{public}"

        @functools.wraps(f)
        def op(*args, **kwargs):
            try:
                with np.errstate(all="ignore"):
                    return f(*args, **kwargs)
            except (ValueError, TypeError, IndexError) as exc:
                named = _named_error(exc, full)
                if named is None:
                    raise
                raise named from exc

        op.__name__ = op.__qualname__ = public
        return op

    return decorate(fn) if fn is not None else decorate
