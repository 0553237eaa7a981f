"""The bases of the convolution layers (as Keras's base_conv.py and base_conv_transpose.py), over the
compiled kernels; channels_last only."""
import numpy as np

from nnkern import _core, activations
from nnkern.engine.argument_validation import (channels_last_only, conv_output_length, conv_transpose_output_length,
                                               standardize_padding, standardize_tuple)
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.layers.kernel_calls import apply_unfused_activation, fold_channel_affine, padded_shape, run_kernel
from nnkern.layers.legacy import translate_conv_kwargs, translate_sequence_input_kwargs


def _positive_filters(filters, layer):
    if not isinstance(filters, (int, np.integer)) or isinstance(filters, bool) or filters <= 0:
        raise ValueError(f"{layer}: invalid value for argument `filters`. Expected a strictly positive integer. "
                         f"Received filters={filters}")
    return int(filters)


def check_window_output(layer, input_shape, spatial, smallest=1):
    """Keras's refusal of a convolution window that leaves a spatial output size below `smallest`;
    `layer` has kernel_size, strides, dilation_rate and padding."""
    if any(d is not None and d < smallest for d in spatial):
        raise ValueError(f"{layer.__class__.__name__} layer '{layer.name}': computed output size would be zero "
                         f"or negative. Received input shape {tuple(input_shape)}, "
                         f"kernel_size={layer.kernel_size}, strides={layer.strides}, "
                         f"dilation_rate={layer.dilation_rate}, padding={layer.padding!r}.")


def window_output_spatial(layer, input_shape):
    """The spatial output sizes of `layer`'s forward convolution window over input_shape[1:-1] (checked)."""
    spatial = tuple(conv_output_length(n, k, s, layer.padding, d) for n, k, s, d in
                    zip(input_shape[1:-1], layer.kernel_size, layer.strides, layer.dilation_rate))
    check_window_output(layer, input_shape, spatial)
    return spatial


class BaseConv(Layer):
    """Keras's BaseConv: a convolution over (batch, *spatial, channels), channels_last; arguments, weights
    (kernel `kernel_size + (in / groups, filters)`, bias `(filters,)`), output shape and config. A
    convolution layer is a subclass naming its rank and compiled kernel, which takes
    `(x, kernel, bias, strides, padding, dilation_rate, groups, activation)`:

        class Conv2D(BaseConv):
            rank = 2
            kernel_fn = staticmethod(_core.conv2d)
    """

    _plan_trusted = True
    rank = None
    kernel_fn = None
    _transpose = False
    _checked_input_shape = None

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, **kwargs):
        cls = self.__class__.__name__
        legacy = translate_conv_kwargs(kwargs, cls, self.rank, dict(
            filters=filters, kernel_size=kernel_size, strides=strides, padding=padding,
            kernel_initializer=kernel_initializer, use_bias=use_bias, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint))
        filters, kernel_size, strides, padding = (legacy[k] for k in ("filters", "kernel_size", "strides", "padding"))
        kernel_initializer, use_bias, kernel_regularizer, bias_regularizer, kernel_constraint, bias_constraint = (
            legacy[k] for k in ("kernel_initializer", "use_bias", "kernel_regularizer", "bias_regularizer",
                                "kernel_constraint", "bias_constraint"))
        if self.rank == 1:
            translate_sequence_input_kwargs(kwargs)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = _positive_filters(filters, cls)
        if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"{cls}: `groups` must be a positive integer. Received groups={groups}")
        self.groups = int(groups)
        if self.filters % self.groups != 0:
            raise ValueError(f"{cls}: the number of filters must be evenly divisible by the number of groups. "
                             f"Received: groups={self.groups}, filters={self.filters}.")
        try:
            self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size", allow_zero=True)
            self.strides = standardize_tuple(strides, self.rank, "strides", allow_zero=True)
            self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        except ValueError as e:
            raise ValueError(f"{cls}: {e}") from None
        if 0 in self.kernel_size:
            raise ValueError(f"{cls}: the argument `kernel_size` cannot contain 0(s). "
                             f"Received: {self.kernel_size}")
        if 0 in self.strides:
            raise ValueError(f"{cls}: the argument `strides` cannot contain 0(s). Received: {self.strides}")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        self.padding = standardize_padding(padding, cls, allow_causal=self.rank == 1 and not self._transpose)
        self.data_format = channels_last_only(data_format, cls)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._set_weight_arguments("kernel", kernel_initializer, kernel_regularizer, kernel_constraint)
        self._set_weight_arguments("bias", bias_initializer, bias_regularizer, bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha
        self.input_spec = InputSpec(ndim=self.rank + 2)

    # ------------------------------------------------------------------ weights
    def _kernel_shape(self, input_channels):
        return self.kernel_size + (input_channels // self.groups, self.filters)

    def build(self, input_shape):
        cls = self.__class__.__name__
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{cls} layer '{self.name}': the channel axis (last) of the input must be known. "
                             f"Received input shape {tuple(input_shape)}")
        if channels % self.groups != 0:
            raise ValueError(f"{cls} layer '{self.name}': the number of input channels must be evenly divisible "
                             f"by the number of groups. Received groups={self.groups}, but the input has "
                             f"{channels} channels (full input shape is {tuple(input_shape)}).")
        self.kernel = self._add_weight_from_arguments("kernel", self._kernel_shape(channels))
        self.bias = self._add_weight_from_arguments("bias", (self.filters,)) if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        # Live buffers and the kernel's activation name, looked up once for call().
        object.__setattr__(self, "_w", self.kernel.value)
        object.__setattr__(self, "_b", None if self.bias is None else self.bias.value)
        object.__setattr__(self, "_fused", activations.fused_name(self.activation))
        # The last input shape whose output shape was checked: the same shape again skips the check.
        object.__setattr__(self, "_checked_input_shape", None)
        object.__setattr__(self, "_kernel_args", self._kernel_arguments())  # after x, fixed once
        self.built = True

    def call(self, inputs):
        if inputs.shape != self._checked_input_shape:
            out_shape = self.compute_output_shape(inputs.shape)
            if 0 in out_shape:  # batch 0 or an empty transposed input
                return apply_unfused_activation(self.activation, self._fused, np.zeros(out_shape, np.float32))
            object.__setattr__(self, "_checked_input_shape", inputs.shape)
        y = self._forward(inputs)
        return y if self._fused is not None else apply_unfused_activation(self.activation, None, y)

    def fold_channel_affine(self, scale, shift, activation, pads=None):
        """The prediction plan's fusion protocol: a function x -> activation(self(x) * scale + shift) (scale,
        shift: float32 per filter; activation: a kernel activation name) running this layer's kernel once on
        copies of its weights with scale and shift folded in; it returns None for an input it does not take
        (a shape call() has not checked yet), which the caller then runs layer by layer. None when this
        layer cannot fold: a transposed or 1-D convolution, an activation of its own, a subclass's call().
        `pads` ((top, bottom), (left, right)): a ZeroPadding2D before this `valid` layer, which the plan found
        to pad as `same` would here; the function then takes the unpadded input and runs `same`."""
        if self._transpose or type(self).call is not BaseConv.call or self._fused != "linear" \
                or type(self)._kernel_arguments is not BaseConv._kernel_arguments \
                or type(self)._forward is not BaseConv._forward or self._w.dtype != np.float32 \
                or pads is not None and (self.rank != 2 or self.padding != "valid"):
            return None
        w, b = fold_channel_affine(self._w, self._b, scale, shift)
        kernel_fn = self.kernel_fn
        pointwise = kernel_fn is _core.conv2d and pads is None and self.groups == 1 \
            and self.kernel_size == (1, 1) and self.strides == (1, 1) and self.dilation_rate == (1, 1)
        unpacked = w
        if kernel_fn is _core.conv2d and self.groups == 1:
            # The folded copy is private and fixed: packed once for the products of every call (None where
            # conv2d would not read a packed kernel).
            w.flags.writeable = False
            w = _core.pack_conv2d_kernel(w) or w
        args = (w, b, self.strides, self.padding if pads is None else "same") + self._kernel_args[4:-1] + (activation,)

        def folded(x, residual=None, out=None):
            if padded_shape(x.shape, pads) != self._checked_input_shape:
                return None
            if residual is None:
                return run_kernel(self, kernel_fn, x, *args)
            return run_kernel(self, kernel_fn, x, *args, residual=residual, out=out)
        # conv2d adds a residual term (a following Add's other input) before the activation, and may write
        # the sum over it (`out` = `residual`).
        folded.takes_residual = kernel_fn is _core.conv2d
        if pointwise:
            # For a depthwise convolution after this one (its `after_pointwise`): the folded 1x1 kernel and
            # bias, the activation, and whether this layer has checked an input of x's shape.
            unpacked.flags.writeable = False
            folded.pointwise = (unpacked, b, activation, lambda x: x.shape == self._checked_input_shape)

            def scaled_input(x, s):
                """folded(x * s) for one image x and s of shape (1, 1, 1, channels) (a squeeze-and-excitation's
                weights), with the kernel's input rows scaled by s instead of x: no pass over x. None for
                more images, an input shape call() has not checked, or an image of fewer than 4 pixels per
                filter: a scaled copy of the kernel, packed again per call, then costs more than the pass
                (EfficientNetB0 on one Zen 4 core: 56x56 144 -> 24 0.57 -> 0.32 ms; 14x14 672 -> 112 0.37
                -> 0.40 ms)."""
                if x.shape[0] != 1 or s.shape != (1, 1, 1, x.shape[3]) or s.dtype != np.float32 \
                        or x.shape != self._checked_input_shape or x.shape[1] * x.shape[2] < 4 * self.filters:
                    return None
                return run_kernel(self, kernel_fn, x, unpacked * s.reshape(-1, 1), *args[1:])
            folded.scaled_input = scaled_input
        return folded

    def _check_output_shape(self, input_shape, output_shape):
        # Keras refuses a forward window that does not fit (an empty spatial output); a transposed
        # convolution of an empty input is empty.
        check_window_output(self, input_shape, output_shape[1:-1], smallest=0 if self._transpose else 1)
        return output_shape

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + window_output_spatial(self, input_shape) + (self.filters,)

    def _kernel_arguments(self):
        return self._w, self._b, self.strides, self.padding, self.dilation_rate, self.groups, self._fused or "linear"

    def _forward(self, x):
        try:  # run_kernel inlined: this is the per-call path
            return self.kernel_fn(x, *self._kernel_args)
        except ValueError as e:
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': {e}") from None

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._weight_arguments_config("kernel", "bias", activity_regularizer=True),
        })
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config


class BaseConvTranspose(BaseConv):
    """Keras's BaseConvTranspose: a transposed convolution (kernel `kernel_size + (filters, in)`); Keras's
    output size rule (output_padding=None: the smallest size whose forward convolution gives back the input
    size). A subclass names its rank and compiled kernel, which takes `(x, kernel, bias, strides, padding,
    output_padding, dilation_rate, activation)`."""
    _transpose = True

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", output_padding=None,
                 data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        cls = self.__class__.__name__
        if output_padding is None:
            self.output_padding = None
        else:
            try:
                self.output_padding = standardize_tuple(output_padding, self.rank, "output_padding",
                                                        allow_zero=True)
            except ValueError as e:
                raise ValueError(f"{cls}: {e}") from None
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"{cls}: `output_padding` must be smaller than `strides` on every axis. "
                                 f"Received: output_padding={self.output_padding}, strides={self.strides}")

    def _kernel_shape(self, input_channels):
        return self.kernel_size + (self.filters, input_channels)

    def compute_output_shape(self, input_shape):
        paddings = self.output_padding or (None,) * self.rank
        spatial = tuple(conv_transpose_output_length(n, k, s, self.padding, p, d) for n, k, s, p, d in
                        zip(input_shape[1:-1], self.kernel_size, self.strides, paddings, self.dilation_rate))
        return self._check_output_shape(input_shape, (input_shape[0],) + spatial + (self.filters,))

    def _kernel_arguments(self):
        return (self._w, self._b, self.strides, self.padding, self.output_padding, self.dilation_rate,
                self._fused or "linear")

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        config["output_padding"] = self.output_padding
        return config
