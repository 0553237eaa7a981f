"""Which input cells and kernel taps make one output cell of a convolution, a transposed convolution
or a pooling layer (channels last, any number of spatial axes). Input indices may fall outside the
input: those taps read padding."""
import numpy as np

from nnkern.engine.argument_validation import conv_output_length


def window_of(layer):
    """(window, strides, dilation, padding, transposed) of a conv / pooling layer, or None."""
    if hasattr(layer, "pool_size"):
        return tuple(layer.pool_size), tuple(layer.strides), (1,) * len(layer.pool_size), layer.padding, False
    if hasattr(layer, "kernel_size") and hasattr(layer, "strides"):
        return (tuple(layer.kernel_size), tuple(layer.strides), tuple(layer.dilation_rate), layer.padding,
                hasattr(layer, "output_padding"))
    return None


def pad_before(length, window, stride, dilation, padding):
    """Padding before the first input cell of a forward conv / pooling (TensorFlow's 'same' rule)."""
    span = (window - 1) * dilation + 1
    if padding == "causal":
        return span - 1
    if padding != "same":
        return 0
    out = conv_output_length(length, window, stride, padding, dilation)
    return max((out - 1) * stride + span - length, 0) // 2


def transpose_pad_before(window, stride, dilation, padding, output_padding):
    """Cells a transposed conv crops before its first output cell (Keras's rule on JAX; the same as
    nnkern's kernel uses)."""
    if padding == "valid":
        return 0
    span = (window - 1) * dilation + 1
    pad_len = stride + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
    return span - 1 - min(pad_len // 2 + pad_len % 2, span - 1)


def contributions(layer, input_spatial, output_cell):
    """``[(input index, kernel tap)]`` that output cell ``output_cell`` (a spatial index tuple) is made
    from, for input spatial shape ``input_spatial``; an input index outside the input reads padding
    (transposed convolutions only list taps that land inside)."""
    window, strides, dilation, padding, transposed = window_of(layer)
    output_cell = tuple(int(i) for i in np.atleast_1d(output_cell))
    if len(output_cell) != len(window):
        raise ValueError(f"explore.layer: {layer.name} has {len(window)} spatial axes; `cell` must give "
                         f"{len(window)} indices, received cell={output_cell}")
    pairs = []
    output_padding = getattr(layer, "output_padding", None) or (None,) * len(window)
    for tap in np.ndindex(window):
        if transposed:
            # Output cell o gets tap k from input cell (o + crop - k * d) / s where that divides exactly.
            shifted = [o + transpose_pad_before(w, s, d, padding, op) - k * d
                       for o, k, w, s, d, op in zip(output_cell, tap, window, strides, dilation, output_padding)]
            if all(v % s == 0 and 0 <= v // s < n for v, s, n in zip(shifted, strides, input_spatial)):
                pairs.append((tuple(v // s for v, s in zip(shifted, strides)), tap))
        else:
            index = tuple(o * s + k * d - pad_before(n, w, s, d, padding)
                          for o, k, s, d, n, w in zip(output_cell, tap, strides, dilation, input_spatial, window))
            pairs.append((index, tap))
    return pairs


def padding_frame(layer, input_spatial):
    """(before, after) padding per spatial axis that a forward conv / pooling reads (zeros for
    transposed convolutions, which crop instead)."""
    window, strides, dilation, padding, transposed = window_of(layer)
    frame = []
    for n, w, s, d in zip(input_spatial, window, strides, dilation):
        if transposed or padding == "valid":
            frame.append((0, 0))
            continue
        before = pad_before(n, w, s, d, padding)
        out = conv_output_length(n, w, s, "same" if padding == "causal" else padding, d)
        after = max((out - 1) * s + (w - 1) * d + 1 - n - before, 0)
        frame.append((before, after))
    return frame
