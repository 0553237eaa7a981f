"""``nnkern.ops``: the part of ``keras.ops`` that works on numpy arrays, with Keras 3 names, argument
names, defaults and result dtypes.

Inputs are converted as Keras converts them (Python floats to floatx(), Python ints to int32, 64-bit
arrays to 32 bits; see ``nnkern.ops._dtypes``) and results are numpy arrays. Bad arguments raise
ValueError / TypeError / IndexError whose message starts with ``ops.<name>:``.

Differences from Keras (JAX backend), all deliberate: an out-of-range index in ``take`` /
``take_along_axis`` raises IndexError instead of reading NaN; ``top_k(sorted=False)`` returns the
sorted order; integer inputs to sigmoid and erf, which JAX rejects, are computed in floatx();
shape errors are ValueError (JAX raises TypeError for some); integer division by zero gives numpy's 0
(JAX's is undefined); conv / conv_transpose / depthwise_conv / max_pool / average_pool are 1-D and
2-D only; sparse and ragged tensors are not supported. ``result_type`` and ``standardize_dtype``
are in ``nnkern.backend``, as in Keras.
"""
from nnkern.ops import linalg, nn, numpy
from nnkern.ops._nn import (average_pool, binary_crossentropy, categorical_crossentropy, conv, conv_transpose,
                            depthwise_conv, elu, erf, gelu, hard_sigmoid, hard_silu, hard_swish, in_top_k,
                            leaky_relu, log_sigmoid, log_softmax, logsumexp, max_pool, normalize, one_hot, relu,
                            relu6, selu, sigmoid, silu, softmax, softplus, softsign,
                            sparse_categorical_crossentropy, swish, tanh, top_k)
from nnkern.ops._numpy import (abs, absolute, add, all, amax, amin, any, arange, arccos, arcsin, arctan,
                               arctan2, argmax, argmin, argsort, broadcast_to, ceil, clip, concatenate, conj,
                               cos, cosh, count_nonzero, cumprod, cumsum, divide, dot, einsum, equal, exp,
                               expand_dims, expm1, eye, flip, floor, floor_divide, full, full_like, greater,
                               greater_equal, identity, isfinite, isinf, isnan, less, less_equal, linspace, log,
                               log1p, log2, log10, logical_and, logical_not, logical_or, logical_xor, matmul,
                               max, maximum, mean, min, minimum, mod, moveaxis, multiply, negative, norm,
                               not_equal, ones, ones_like, outer, pad, power, prod, ravel, reciprocal, repeat,
                               reshape, roll, round, sign, sin, sinh, size, sort, split, sqrt, square, squeeze,
                               stack, std, subtract, sum, swapaxes, take, take_along_axis, tan, tensordot, tile,
                               transpose, tril, triu, true_divide, var, where, zeros, zeros_like)
from nnkern.ops._tensor import (cast, convert_to_numpy, convert_to_tensor, is_tensor, ndim, shape, slice,
                                slice_update, stop_gradient, unstack)
