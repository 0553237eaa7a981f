"""``keras.ops.nn`` names (the same functions as ``nnkern.ops``)."""
from nnkern.ops._nn import (average_pool, binary_crossentropy, categorical_crossentropy, conv, conv_transpose,
                            depthwise_conv, elu, gelu, hard_sigmoid, hard_silu, hard_swish, leaky_relu,
                            log_sigmoid, log_softmax, max_pool, normalize, one_hot, relu, relu6, selu, sigmoid,
                            silu, softmax, softplus, softsign, sparse_categorical_crossentropy, swish)
