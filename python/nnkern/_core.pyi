"""
nnkern's compiled float32 forward kernels (Keras layouts, channels_last)
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['PackedConv2DKernel', 'activation', 'activation_names', 'attention', 'avg_pool1d', 'avg_pool2d', 'avg_pool3d', 'build_info', 'cached_output_bytes', 'conv1d', 'conv2d', 'conv2d_transpose', 'conv3d', 'conv3d_transpose', 'conv_output_length', 'conv_transpose_output_length', 'dense', 'depthwise_conv2d', 'expand_depthwise_conv2d', 'expand_depthwise_pays', 'forked_single_threaded', 'get_num_threads', 'get_thread_limit', 'global_avg_pool', 'gru', 'isa', 'isa_variants', 'last_call_threads', 'layer_norm', 'load_aware', 'lstm', 'lstm_step', 'max_pool1d', 'max_pool2d', 'max_pool3d', 'multiply_channels', 'pack_conv2d_kernel', 'release_cached_outputs', 'runnable_isa_variants', 'set_load_aware', 'set_num_threads', 'set_thread_limit', 'simple_rnn', 'sole_output_in', 'threads_for_work']
class PackedConv2DKernel:
    """
    A read-only Conv2D kernel with a copy packed for this build's products (pack_conv2d_kernel); conv2d takes it as its `kernel`.
    """
    @property
    def kernel(self) -> numpy.typing.NDArray[numpy.float32]:
        """
        The kernel array (read-only).
        """
def activation(x: typing.Any, name: str) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras 3 activation by name on a float32 copy of x (softmax on the last axis).
    """
def activation_names() -> str:
    """
    Comma-separated names (and aliases) of the activations the kernels fuse.
    """
def attention(query: typing.Any, key: typing.Any, value: typing.Any, mask: typing.Any = None, causal: bool = False, scale: typing.SupportsFloat | typing.SupportsIndex = 1.0, masked: str = 'zeroed', return_scores: bool = False, out: typing.Any = None) -> typing.Any:
    """
    Scaled dot-product attention per batch and head: softmax(scale * query . key^T, masked) . value. query (batch, q_len, heads, key_dim), key (batch, kv_len, heads, key_dim), value (batch, kv_len, heads, value_dim), each C-contiguous, or a view with C-contiguous (heads, dim) blocks (read in place); mask a bool array broadcastable to (batch, heads, q_len, kv_len) (True keeps a score); causal also masks key steps after the query step. masked: what a masked score becomes ('zeroed': Keras's Softmax layer, fully masked rows all 0; 'uniform': ops.dot_product_attention, fully masked rows uniform; 'shifted': keras.layers.Attention, score - 1e9). Returns the output (batch, q_len, heads, value_dim), written into `out` if given, and with return_scores also the weights (batch, heads, q_len, kv_len).
    """
def avg_pool1d(x: typing.Any, pool_size: typing.Any = 2, strides: typing.Any = None, padding: str = 'valid', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras AveragePooling1D forward on x (batch, steps, channels).
    pool_size / strides: int or pair (1-D: int; 3-D: int or 3-tuple); strides=None means pool_size; padding 'valid' or 'same'
    (padded cells are left out of the window); Keras's output size. out: optional float32 C-contiguous
    array of the output shape, written and returned.
    """
def avg_pool2d(x: typing.Any, pool_size: typing.Any = 2, strides: typing.Any = None, padding: str = 'valid', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras AveragePooling2D forward on x (batch, height, width, channels).
    pool_size / strides: int or pair (1-D: int; 3-D: int or 3-tuple); strides=None means pool_size; padding 'valid' or 'same'
    (padded cells are left out of the window); Keras's output size. out: optional float32 C-contiguous
    array of the output shape, written and returned.
    """
def avg_pool3d(x: typing.Any, pool_size: typing.Any = 2, strides: typing.Any = None, padding: str = 'valid', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras AveragePooling3D forward on x (batch, depth, height, width, channels).
    pool_size / strides: int or pair (1-D: int; 3-D: int or 3-tuple); strides=None means pool_size; padding 'valid' or 'same'
    (padded cells are left out of the window); Keras's output size. out: optional float32 C-contiguous
    array of the output shape, written and returned.
    """
def build_info() -> dict:
    """
    Build facts of the kernel variant in use: version, isa (variant name), march, eigen, compiler,
    packet_floats (floats per Eigen SIMD packet), simd (instruction sets compiled in), openmp.
    """
def cached_output_bytes() -> int:
    """
    Bytes kept for reuse by large kernel outputs no longer in use (at most 256 MiB).
    """
def conv1d(x: typing.Any, kernel: typing.Any, bias: typing.Any = None, strides: typing.Any = 1, padding: str = 'valid', dilation_rate: typing.Any = 1, groups: typing.SupportsInt | typing.SupportsIndex = 1, activation: str = 'linear', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras Conv1D forward: x (batch, steps, channels), kernel (kernel_size, channels / groups, filters), bias (filters,); padding 'valid', 'same' or 'causal'. Returns (batch, out_steps, filters), written into `out` if given.
    """
def conv2d(x: typing.Any, kernel: typing.Any, bias: typing.Any = None, strides: typing.Any = 1, padding: str = 'valid', dilation_rate: typing.Any = 1, groups: typing.SupportsInt | typing.SupportsIndex = 1, activation: str = 'linear', out: typing.Any = None, residual: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras Conv2D forward: x (batch, h, w, channels), kernel (kh, kw, channels / groups, filters; or its pack_conv2d_kernel), bias (filters,); strides / dilation_rate an int or a pair; padding 'valid' or 'same'. Returns activation(conv + bias + residual) of shape (batch, out_h, out_w, filters), written into `out` if given; `residual` (optional, of the output's shape; `out` itself, or sharing no memory with it) is a residual connection's term added before the activation.
    """
def conv2d_transpose(x: typing.Any, kernel: typing.Any, bias: typing.Any = None, strides: typing.Any = 1, padding: str = 'valid', output_padding: typing.Any = None, dilation_rate: typing.Any = 1, activation: str = 'linear', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras Conv2DTranspose forward: y = activation(conv_transpose(x, kernel) + bias).
    x (batch, h, w, in) NHWC; kernel (kh, kw, out, in) as Keras stores it; bias (out,) or None;
    strides / dilation_rate / output_padding: int or pair; padding 'valid' or 'same'; Keras's
    output size. out: optional float32 C-contiguous array of the output shape, written and returned.
    """
def conv3d(x: typing.Any, kernel: typing.Any, bias: typing.Any = None, strides: typing.Any = 1, padding: str = 'valid', dilation_rate: typing.Any = 1, groups: typing.SupportsInt | typing.SupportsIndex = 1, activation: str = 'linear', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras Conv3D forward: x (batch, d, h, w, channels), kernel (kd, kh, kw, channels / groups, filters), bias (filters,); strides / dilation_rate an int or a 3-tuple; padding 'valid' or 'same'. Returns activation(conv + bias) of shape (batch, out_d, out_h, out_w, filters), written into `out` if given.
    """
def conv3d_transpose(x: typing.Any, kernel: typing.Any, bias: typing.Any = None, strides: typing.Any = 1, padding: str = 'valid', output_padding: typing.Any = None, dilation_rate: typing.Any = 1, activation: str = 'linear', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras Conv3DTranspose forward: y = activation(conv_transpose(x, kernel) + bias).
    x (batch, d, h, w, in) NDHWC; kernel (kd, kh, kw, out, in) as Keras stores it; bias (out,) or None;
    strides / dilation_rate / output_padding: int or 3-tuple; padding 'valid' or 'same'; Keras's
    output size. out: optional float32 C-contiguous array of the output shape, written and returned.
    """
def conv_output_length(input: typing.SupportsInt | typing.SupportsIndex, kernel: typing.SupportsInt | typing.SupportsIndex, stride: typing.SupportsInt | typing.SupportsIndex = 1, dilation: typing.SupportsInt | typing.SupportsIndex = 1, padding: str = 'valid') -> int:
    """
    Keras's output length of a convolution or pooling window along one axis. ValueError for input < 0,
    kernel / stride / dilation < 1, or a size beyond int64.
    """
def conv_transpose_output_length(input: typing.SupportsInt | typing.SupportsIndex, kernel: typing.SupportsInt | typing.SupportsIndex, stride: typing.SupportsInt | typing.SupportsIndex = 1, dilation: typing.SupportsInt | typing.SupportsIndex = 1, padding: str = 'valid', output_padding: typing.SupportsInt | typing.SupportsIndex | None = None) -> int:
    """
    Keras's deconv_output_length along one axis (output_padding None: not given; else < stride).
    ValueError for input < 0, kernel / stride / dilation < 1, or a size beyond int64.
    """
def dense(x: typing.Any, kernel: typing.Any, bias: typing.Any = None, activation: str = 'linear') -> numpy.typing.NDArray[numpy.float32]:
    """
    y = activation(x @ kernel + bias); x (batch, in), kernel (in, units) as Keras stores it.
    """
def depthwise_conv2d(x: typing.Any, kernel: typing.Any, bias: typing.Any = None, strides: typing.Any = 1, padding: str = 'valid', dilation_rate: typing.Any = 1, activation: str = 'linear', out: typing.Any = None) -> typing.Any:
    """
    Keras DepthwiseConv2D forward: x (batch, h, w, channels), kernel (kh, kw, channels, depth_multiplier), bias (channels * depth_multiplier,); strides / dilation_rate an int or a pair; padding 'valid' or 'same'. Output channel c * depth_multiplier + m is channel c convolved with kernel[..., c, m]. Returns activation(conv + bias) of shape (batch, out_h, out_w, channels * depth_multiplier), written into `out` if given.
    """
def expand_depthwise_conv2d(x: typing.Any, expand_kernel: typing.Any, expand_bias: typing.Any = None, expand_activation: str = 'linear', kernel: typing.Any, bias: typing.Any = None, strides: typing.Any = 1, padding: str = 'valid', dilation_rate: typing.Any = 1, activation: str = 'linear', out: typing.Any = None) -> typing.Any:
    """
    depthwise_conv2d(conv2d(x, expand_kernel, expand_bias, activation=expand_activation), kernel, bias, strides, padding, dilation_rate, activation) in one pass, without the expanded tensor in memory: x (batch, h, w, channels), expand_kernel (1, 1, channels, expanded), kernel (kh, kw, expanded, 1).
    """
def expand_depthwise_pays(batch: typing.SupportsInt | typing.SupportsIndex, height: typing.SupportsInt | typing.SupportsIndex, width: typing.SupportsInt | typing.SupportsIndex, in_channels: typing.SupportsInt | typing.SupportsIndex, expanded_channels: typing.SupportsInt | typing.SupportsIndex) -> bool:
    """
    Whether expand_depthwise_conv2d is faster than conv2d (1x1) then depthwise_conv2d for a batch of images of this size: when the expanded tensor outgrows the L2 cache and the 1x1 runs on the direct kernel.
    """
def forked_single_threaded() -> bool:
    """
    True in a child forked after the parent ran threaded kernels: kernels run on one thread there.
    """
def get_num_threads() -> int:
    """
    Threads used by every kernel (default: NNKERN_NUM_THREADS, else OMP_NUM_THREADS, else all cores).
    """
def get_thread_limit() -> int:
    """
    The calling thread's cap on kernel threads (0: none).
    """
def global_avg_pool(x: typing.Any) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras GlobalAveragePooling1D/2D/3D forward (channels_last): the mean of x (batch, steps..., channels)
    over its steps, shape (batch, channels) (keepdims is a reshape). Summed in blocks of 64 steps.
    """
def gru(x: typing.Any, kernel: typing.Any, recurrent_kernel: typing.Any, bias: typing.Any = None, activation: str = 'tanh', recurrent_activation: str = 'sigmoid', reset_after: bool = True, return_sequences: bool = False, go_backwards: bool = False, initial_h: typing.Any = None, mask: typing.Any = None, *, out: typing.Any = None) -> tuple:
    """
    Keras 3 GRU over x (batch, timesteps, input_dim) -> (output, h).
    kernel (input_dim, 3u), recurrent_kernel (u, 3u) as Keras stores them (gates z, r, h); bias (2, 3u)
    (input, recurrent) with reset_after, else (3u,). output is (batch, timesteps, units) with
    return_sequences (in processing order when go_backwards, as Keras), else (batch, units). mask
    (batch, timesteps), any bool/int array: at a False step a sample keeps h and outputs it again.
    initial_h defaults to zeros.
    """
def isa() -> str:
    """
    The kernel variant in use: the most capable one this CPU runs, or NNKERN_ISA's choice.
    """
def isa_variants() -> list[str]:
    """
    Kernel variants compiled in (least capable first); nnkern._core.isa() is the one in use.
    """
def last_call_threads() -> int:
    """
    Threads the last kernel call made from this Python thread ran on (its largest team; 1: serial).
    """
def layer_norm(x: typing.Any, gamma: typing.Any = None, beta: typing.Any = None, epsilon: typing.SupportsFloat | typing.SupportsIndex = 0.001, residual: typing.Any = None, out: typing.Any = None) -> typing.Any:
    """
    Layer normalization over the last axis, as Keras's LayerNormalization(axis=-1): per row of s = x (+ residual, when given), mean and variance (the mean of squared deviations), inv = gamma / sqrt(variance + epsilon), y = s * inv + (beta - mean * inv). gamma and beta (last-axis length) may be None. Returns y (x's shape), written into `out` if given.
    """
def load_aware() -> bool:
    """
    Whether cores busy with other processes are left out.
    """
def lstm(x: typing.Any, kernel: typing.Any, recurrent_kernel: typing.Any, bias: typing.Any = None, activation: str = 'tanh', recurrent_activation: str = 'sigmoid', return_sequences: bool = False, go_backwards: bool = False, initial_h: typing.Any = None, initial_c: typing.Any = None, mask: typing.Any = None, *, out: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float32], numpy.typing.NDArray[numpy.float32], numpy.typing.NDArray[numpy.float32]]:
    """
    Keras 3 LSTM over x (batch, timesteps, input_dim) -> (output, h, c).
    output is (batch, timesteps, units) with return_sequences (in processing order when go_backwards,
    as Keras), else (batch, units). mask (batch, timesteps), any bool/int array: at a False step a
    sample keeps h and c and outputs the carried h. initial_h / initial_c default to zeros.
    """
def lstm_step(x_t: typing.Any, h: typing.Any, c: typing.Any, kernel: typing.Any, recurrent_kernel: typing.Any, bias: typing.Any = None, activation: str = 'tanh', recurrent_activation: str = 'sigmoid', *, out: typing.Any = None) -> tuple[numpy.typing.NDArray[numpy.float32], numpy.typing.NDArray[numpy.float32]]:
    """
    One Keras LSTM step: (h, c) from x_t (batch, input_dim) and the previous h, c (batch, units).
    kernel (input_dim, 4u), recurrent_kernel (u, 4u), bias (4u,) as Keras stores them (gates i, f, c, o).
    out=(h_out, c_out) writes into given float32 arrays (they may be h and c themselves).
    """
def max_pool1d(x: typing.Any, pool_size: typing.Any = 2, strides: typing.Any = None, padding: str = 'valid', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras MaxPooling1D forward on x (batch, steps, channels).
    pool_size / strides: int or pair (1-D: int; 3-D: int or 3-tuple); strides=None means pool_size; padding 'valid' or 'same'
    (padded cells are left out of the window); Keras's output size. out: optional float32 C-contiguous
    array of the output shape, written and returned.
    """
def max_pool2d(x: typing.Any, pool_size: typing.Any = 2, strides: typing.Any = None, padding: str = 'valid', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras MaxPooling2D forward on x (batch, height, width, channels).
    pool_size / strides: int or pair (1-D: int; 3-D: int or 3-tuple); strides=None means pool_size; padding 'valid' or 'same'
    (padded cells are left out of the window); Keras's output size. out: optional float32 C-contiguous
    array of the output shape, written and returned.
    """
def max_pool3d(x: typing.Any, pool_size: typing.Any = 2, strides: typing.Any = None, padding: str = 'valid', out: typing.Any = None) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras MaxPooling3D forward on x (batch, depth, height, width, channels).
    pool_size / strides: int or pair (1-D: int; 3-D: int or 3-tuple); strides=None means pool_size; padding 'valid' or 'same'
    (padded cells are left out of the window); Keras's output size. out: optional float32 C-contiguous
    array of the output shape, written and returned.
    """
def multiply_channels(x: typing.Any, scale: typing.Any) -> numpy.typing.NDArray[numpy.float32]:
    """
    Keras Multiply()([x, scale]) for scale of shape (batch, 1, ..., 1, channels) or (batch, channels):
    x (batch, steps..., channels) times each sample's channel weights; a new float32 array of x's shape.
    """
def pack_conv2d_kernel(kernel: typing.Any) -> typing.Any:
    """
    A Conv2D kernel (kh, kw, channels, filters; float32, C-contiguous, read-only) packed once for the products of conv2d(groups=1), or None where conv2d would not read a packed copy (the direct kernel's shapes, few filters, or a kernel variant whose products pack per call).
    """
def release_cached_outputs() -> int:
    """
    Free the memory kept for reuse by large kernel outputs no longer in use; returns its bytes.
    """
def runnable_isa_variants() -> list[str]:
    """
    The kernel variants this CPU can run (values NNKERN_ISA may take besides auto).
    """
def set_load_aware(on: bool) -> None:
    """
    Leave out cores other processes keep busy when choosing threads per call (default: off, or NNKERN_LOAD_AWARE=1 at start).
    """
def set_num_threads(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Threads used by every kernel (>= 1).
    """
def set_thread_limit(n: typing.SupportsInt | typing.SupportsIndex) -> None:
    """
    Cap the threads of kernel calls made from the calling thread (this Python thread only); 0: no cap.
    """
def simple_rnn(x: typing.Any, kernel: typing.Any, recurrent_kernel: typing.Any, bias: typing.Any = None, activation: str = 'tanh', return_sequences: bool = False, go_backwards: bool = False, initial_h: typing.Any = None, mask: typing.Any = None, *, out: typing.Any = None) -> tuple:
    """
    Keras 3 SimpleRNN over x (batch, timesteps, input_dim) -> (output, h): h' = act(x_t . W + b + h . U).
    kernel (input_dim, u), recurrent_kernel (u, u), bias (u,). output, mask and initial_h as for gru.
    """
def sole_output_in(values: list, index: typing.SupportsInt | typing.SupportsIndex) -> bool:
    """
    True when values[index] (values a list) is a large kernel output array that nothing but the list references (no other reference, no view of it), so a kernel may write over it.
    """
def threads_for_work(flops: typing.SupportsFloat | typing.SupportsIndex) -> int:
    """
    Threads a kernel call doing about `flops` floating-point operations would use now.
    """
__version__: str = '0.1.0'
