"""Image resizing as Keras's JAX backend computes it (keras.src.backend.jax.image.resize, which calls
jax.image.resize): per spatial axis, an (output, input) weight matrix from the method's kernel sampled at
half-pixel centres, applied with a tensordot; "nearest" picks floor((i + 0.5) * in / out). An axis whose
size does not change is left alone, as in JAX. Shared by Resizing, CenterCrop and UpSampling2D."""
import functools

import numpy as np

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5", "area")


def _triangle(x):
    return np.maximum(0.0, 1.0 - np.abs(x))


def _keys_cubic(x):
    out = ((1.5 * x - 2.5) * x) * x + 1.0
    out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
    return np.where(x >= 2.0, 0.0, out)


def _lanczos(radius):
    def kernel(x):
        y = radius * np.sin(np.pi * x) * np.sin(np.pi * x / radius)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(x > 1e-3, y / np.where(x != 0, np.pi ** 2 * x ** 2, 1.0), 1.0)
        return np.where(x > radius, 0.0, out)
    return kernel


_KERNELS = {"bilinear": _triangle, "bicubic": _keys_cubic, "lanczos3": _lanczos(3.0), "lanczos5": _lanczos(5.0)}


@functools.lru_cache(maxsize=256)
def weight_matrix(in_size, out_size, method, antialias=False):
    """(out_size, in_size) float32 weights of jax.image.scale_and_translate's compute_weight_mat."""
    scale = out_size / in_size
    inv_scale = 1.0 / scale
    outputs = np.arange(out_size, dtype=np.float64)
    if method == "area":
        left = outputs * inv_scale
        right = left + inv_scale
        inputs = np.arange(in_size, dtype=np.float64)
        weights = np.maximum(0.0, np.minimum(right[:, None], inputs[None, :] + 1.0)
                             - np.maximum(left[:, None], inputs[None, :]))
    else:
        kernel_scale = max(inv_scale, 1.0) if antialias else 1.0
        sample = (outputs + 0.5) * inv_scale - 0.5
        weights = _KERNELS[method](np.abs(sample[:, None] - np.arange(in_size)[None, :]) / kernel_scale)
    total = weights.sum(axis=1, keepdims=True)
    weights = np.where(np.abs(total) > 1000.0 * float(np.finfo(np.float32).eps),
                       weights / np.where(total != 0, total, 1.0), 0.0)
    if method != "area":
        sample = (outputs + 0.5) * inv_scale - 0.5
        weights = np.where(((sample >= -0.5) & (sample <= in_size - 0.5))[:, None], weights, 0.0)
    weights = weights.astype(np.float32)
    weights.setflags(write=False)
    return weights


@functools.lru_cache(maxsize=256)
def _nearest_indices(in_size, out_size):
    offsets = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * np.float32(in_size) / np.float32(out_size)
    return np.floor(offsets).astype(np.int64)


def resize_axis(x, axis, out_size, method, antialias=False):
    """x resized along one axis to out_size (float32 unless "nearest", which keeps the dtype)."""
    in_size = x.shape[axis]
    if in_size == out_size:
        return x
    if method == "nearest":
        return np.take(x, _nearest_indices(in_size, out_size), axis=axis)
    weights = weight_matrix(in_size, out_size, method, bool(antialias))
    moved = np.moveaxis(np.asarray(x, dtype=np.float32), axis, 0)
    out = np.tensordot(weights, moved, axes=(1, 0))
    return np.moveaxis(out, 0, axis)


def resize(images, height, width, method, antialias=False, height_axis=1):
    """A batch of images resized on (height_axis, height_axis + 1) to (height, width)."""
    out = resize_axis(images, height_axis, height, method, antialias)
    return resize_axis(out, height_axis + 1, width, method, antialias)


def aspect_crop_box(in_height, in_width, height, width):
    """(top, left, crop height, crop width) of the centred box with the target's aspect ratio (Keras's
    smart_resize and crop_to_aspect_ratio)."""
    crop_height = max(min(in_height, int(float(in_width * height) / width)), 1)
    crop_width = max(min(in_width, int(float(in_height * width) / height)), 1)
    return int(float(in_height - crop_height) / 2), int(float(in_width - crop_width) / 2), crop_height, crop_width


def aspect_padding(in_height, in_width, height, width):
    """(rows, columns) of fill added on each side by pad_to_aspect_ratio (Keras pads one of the two)."""
    pad_height = max(in_height, int(float(in_width * height) / width))
    pad_width = max(in_width, int(float(in_height * width) / height))
    rows, cols = int(float(pad_height - in_height) / 2), int(float(pad_width - in_width) / 2)
    return (rows, 0) if rows > 0 else (0, cols)
