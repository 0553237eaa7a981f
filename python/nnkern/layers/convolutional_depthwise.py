"""Depthwise and separable convolution layers (channels_last): DepthwiseConv1D, DepthwiseConv2D,
SeparableConv1D, SeparableConv2D, over the compiled kernel `_core.depthwise_conv2d` (the 1-D layers run it
on (batch, 1, steps, channels), a view of the same memory). Keras 3 argument names, defaults, validation,
weight names/order/shapes and output-shape rules:

- DepthwiseConv: `kernel` `kernel_size + (channels, depth_multiplier)`, `bias` `(channels * depth_multiplier,)`;
  output channel `c * depth_multiplier + m` is channel c convolved with `kernel[..., c, m]`.
- SeparableConv: `depthwise_kernel` as above, `pointwise_kernel` `(1,) * rank + (channels * depth_multiplier,
  filters)`, `bias` `(filters,)`; the pointwise step is a 1x1 convolution (one GEMM) with the bias and the
  activation fused.
"""
import numpy as np

from nnkern import _core, activations
from nnkern.engine.argument_validation import channels_last_only, positive_int, standardize_padding, standardize_tuple
from nnkern.engine.input_spec import InputSpec
from nnkern.engine.layer import Layer
from nnkern.layers.base_conv import window_output_spatial
from nnkern.layers.kernel_calls import apply_unfused_activation, fold_channel_affine, padded_shape, run_kernel
from nnkern.layers.legacy import translate_sequence_input_kwargs

__all__ = ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
           "SeparableConvolution2D"]


def _strictly_positive(value, name, layer):
    return positive_int(value, f"{layer}: invalid value for argument `{name}`. Expected a strictly positive value. "
                               f"Received {name}={value}.")


class _DepthwiseBase(Layer):
    """What the depthwise and separable layers share: the depthwise step's arguments, its kernel, the
    output shape and the config."""

    _plan_trusted = True
    rank = 2

    def __init__(self, kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                 use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                 activity_regularizer, depthwise_constraint, bias_constraint, kwargs):
        cls = self.__class__.__name__
        # Keras 2 configs of these layers (tf.keras subclassed Conv) carry `groups`, always 1.
        if kwargs.get("groups", 1) == 1:
            kwargs.pop("groups", None)
        if self.rank == 1:
            translate_sequence_input_kwargs(kwargs)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.depth_multiplier = _strictly_positive(depth_multiplier, "depth_multiplier", cls)
        try:
            self.kernel_size = standardize_tuple(kernel_size, self.rank, "kernel_size")
            self.strides = standardize_tuple(strides, self.rank, "strides")
            self.dilation_rate = standardize_tuple(dilation_rate, self.rank, "dilation_rate")
        except ValueError as e:
            raise ValueError(f"{cls}: {e}") from None
        self.padding = standardize_padding(padding, cls)
        self.data_format = channels_last_only(data_format, cls)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self._set_weight_arguments("depthwise", depthwise_initializer, depthwise_regularizer, depthwise_constraint)
        self._set_weight_arguments("bias", bias_initializer, bias_regularizer, bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _input_channels(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"{self.__class__.__name__} layer '{self.name}': the channel axis (last) of the input "
                             f"must be known. Received input shape {tuple(input_shape)}")
        return channels

    def _add_depthwise_kernel(self, name, channels):
        return self._add_weight_from_arguments("depthwise", self.kernel_size + (channels, self.depth_multiplier), name)

    def _add_bias(self, size):
        if not self.use_bias:
            return None
        return self._add_weight_from_arguments("bias", (size,))

    def _output_channels(self, channels):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        channels = self._input_channels(input_shape)
        return (input_shape[0],) + window_output_spatial(self, input_shape) + (self._output_channels(channels),)

    def _depthwise(self, x, kernel, bias, activation, padding=None):
        """The depthwise step on x (rank 1: on (N, 1, steps, C), a view), with `padding` instead of the layer's
        if given (rank 2)."""
        if self.rank == 2:
            return run_kernel(self, _core.depthwise_conv2d, x, kernel, bias, self.strides, padding or self.padding,
                              self.dilation_rate, activation)
        y = run_kernel(self, _core.depthwise_conv2d, x[:, None], kernel[None], bias, (1, self.strides[0]),
                       self.padding, (1, self.dilation_rate[0]), activation)
        return y[:, 0]

    def _finish_build(self, channels):
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: channels})
        # Looked up once for call(): the kernel's activation name, and the last input shape whose output
        # shape was checked (the same shape again skips the check).
        object.__setattr__(self, "_fused", activations.fused_name(self.activation))
        object.__setattr__(self, "_checked_input_shape", None)
        self.built = True

    def call(self, inputs):
        if inputs.shape != self._checked_input_shape:
            self.compute_output_shape(inputs.shape)  # Keras's errors for a window that does not fit
            object.__setattr__(self, "_checked_input_shape", inputs.shape)
        y = self._forward(inputs, self._fused or "linear")
        return apply_unfused_activation(self.activation, self._fused, y)

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **self._weight_arguments_config("depthwise", "bias", activity_regularizer=True),
        })
        return config


class _DepthwiseConv(_DepthwiseBase):
    def __init__(self, kernel_size=None, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, kwargs)

    def _output_channels(self, channels):
        return channels * self.depth_multiplier

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = self._add_depthwise_kernel("kernel", channels)
        self.bias = self._add_bias(channels * self.depth_multiplier)
        self._finish_build(channels)

    def _forward(self, x, activation):
        return self._depthwise(x, self.kernel.value, None if self.bias is None else self.bias.value, activation)

    def fold_channel_affine(self, scale, shift, activation, pads=None):
        """The prediction plan's fusion protocol (see BaseConv.fold_channel_affine); 2-D only."""
        if self.rank != 2 or type(self).call is not _DepthwiseBase.call or self._fused != "linear" \
                or type(self)._forward is not _DepthwiseConv._forward or self.kernel.value.dtype != np.float32 \
                or pads is not None and self.padding != "valid":
            return None
        kernel = self.kernel.value
        w, b = fold_channel_affine(kernel, None if self.bias is None else self.bias.value, scale, shift,
                                   kernel.shape[-2:])

        def folded(x):
            if padded_shape(x.shape, pads) != self._checked_input_shape:
                return None
            return self._depthwise(x, w, b, activation, None if pads is None else "same")

        def after_pointwise(x, pointwise):
            """folded(expansion(x)) in one kernel call (_core.expand_depthwise_conv2d) for a folded 1x1 Conv2D
            before this layer (its function's `pointwise`), or None: an input either layer has not checked,
            or a shape where the separate calls are as fast (expand_depthwise_pays)."""
            kernel_1x1, bias_1x1, activation_1x1, checked = pointwise
            expanded = (x.shape[0], x.shape[1], x.shape[2], kernel_1x1.shape[-1])
            if not checked(x) or padded_shape(expanded, pads) != self._checked_input_shape \
                    or not _core.expand_depthwise_pays(*x.shape, expanded[3]):
                return None
            return run_kernel(self, _core.expand_depthwise_conv2d, x, kernel_1x1, bias_1x1, activation_1x1, w, b,
                              self.strides, self.padding if pads is None else "same", self.dilation_rate,
                              activation)
        if self.depth_multiplier == 1:
            folded.after_pointwise = after_pointwise
        return folded


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-D convolution over (batch, steps, channels) -> (batch, new_steps, channels * depth_multiplier)."""
    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-D convolution over (batch, height, width, channels) -> (..., channels * depth_multiplier)."""
    rank = 2


class _SeparableConv(_DepthwiseBase):
    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, kwargs)
        self.filters = _strictly_positive(filters, "filters", self.__class__.__name__)
        self._set_weight_arguments("pointwise", pointwise_initializer, pointwise_regularizer, pointwise_constraint)

    def _output_channels(self, channels):
        return self.filters

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = self._add_depthwise_kernel("depthwise_kernel", channels)
        self.pointwise_kernel = self._add_weight_from_arguments(
            "pointwise", (1,) * self.rank + (channels * self.depth_multiplier, self.filters), "pointwise_kernel")
        self.bias = self._add_bias(self.filters)
        self._finish_build(channels)

    def _forward(self, x, activation):
        depthwise = self._depthwise(x, self.depthwise_kernel.value, None, "linear")
        # The pointwise step: a 1x1 convolution over every pixel, i.e. one GEMM, with bias and activation.
        pointwise = self.pointwise_kernel.value.reshape((1, 1) + self.pointwise_kernel.shape[-2:])
        bias = None if self.bias is None else self.bias.value
        y = run_kernel(self, _core.conv2d, depthwise if self.rank == 2 else depthwise[:, None], pointwise, bias,
                       activation=activation)
        return y if self.rank == 2 else y[:, 0]

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            **self._weight_arguments_config("pointwise"),
        })
        return config


class SeparableConv1D(_SeparableConv):
    """Depthwise 1-D convolution followed by a pointwise (1x1) one mixing the channels into `filters`."""
    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise 2-D convolution followed by a pointwise (1x1) one mixing the channels into `filters`."""
    rank = 2


# Keras's aliases.
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
