"""Keras 3 auto-naming: snake_case of the class name, then ``_1``, ``_2`` ... per base name.

The counters are process-global, as in Keras; ``reset_names()`` (called by ``backend.clear_session()``)
starts every base name afresh. A ``name=`` given by the user does not advance any counter.
"""
import collections
import functools
import re

_uids = collections.defaultdict(int)


@functools.lru_cache(maxsize=4096)  # a model file names hundreds of layers of a few classes
def to_snake_case(name):
    """Keras's naming.to_snake_case: 'Conv2DTranspose' -> 'conv2d_transpose', 'LSTM' -> 'lstm'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(name):
    """`name` the first time, then `name_1`, `name_2`, ..."""
    unique = f"{name}_{_uids[name]}" if name in _uids else name
    _uids[name] += 1
    return unique


def auto_name(base):
    """The next free Keras name for an object of class (or base name) `base`."""
    return uniquify(to_snake_case(base))


def reset_names():
    """Forget every counter, so the next Dense is `dense` again (Keras's clear_session)."""
    _uids.clear()
