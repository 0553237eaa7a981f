"""nnkern._core.depthwise_conv2d against the same convolution as a grouped conv2d (groups = channels,
`_core.conv2d`) and as numpy (a sum of shifted slices times the kernel's channel vectors), on
MobileNetV2's depthwise shapes (3x3, `same`, depth_multiplier 1), with the default thread choice. Prints median times and GFLOP/s; at 1
thread also CPU time, which is steadier on a shared machine.

    PYTHONPATH=python python bench/depthwise_compare.py
"""
import time

import numpy as np

from nnkern import _core

SHAPES = [(1, 112, 112, 32, 1), (1, 56, 56, 144, 2), (8, 14, 14, 576, 1)]


def numpy_depthwise(x, kernel, stride):
    n, h, w, c = x.shape
    oh, ow = -(-h // stride), -(-w // stride)
    th, tw = max((oh - 1) * stride + 3 - h, 0), max((ow - 1) * stride + 3 - w, 0)
    xp = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    y = np.zeros((n, oh, ow, c), np.float32)
    for i in range(3):
        for j in range(3):
            y += xp[:, i:i + (oh - 1) * stride + 1:stride, j:j + (ow - 1) * stride + 1:stride] * kernel[i, j, :, 0]
    return y


def median_time(f, seconds=0.5):
    f()
    walls, cpus, start = [], [], time.perf_counter()
    while time.perf_counter() - start < seconds or len(walls) < 5:
        w, c = time.perf_counter(), time.process_time()
        f()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return float(np.median(walls)), float(np.sum(cpus) / len(cpus))


def main():
    print(f"load-aware thread choice: {_core.load_aware()} (a busy core is left out)")
    for threads in [1, 2]:
        _core.set_num_threads(threads)
        for n, h, w, c, stride in SHAPES:
            rng = np.random.default_rng(0)
            x = rng.standard_normal((n, h, w, c)).astype(np.float32)
            k = rng.standard_normal((3, 3, c, 1)).astype(np.float32)
            b = np.zeros(c, np.float32)
            y = _core.depthwise_conv2d(x, k, b, stride, "same")
            flops = 2.0 * y.size * 9
            runs = {"depthwise_conv2d": lambda: _core.depthwise_conv2d(x, k, b, stride, "same", out=y),
                    "conv2d groups=C": lambda: _core.conv2d(x, k.reshape(3, 3, 1, c), b, stride, "same", groups=c)}
            if threads == 1:
                runs["numpy"] = lambda: numpy_depthwise(x, k, stride)
            cells = []
            for name, f in runs.items():
                wall, cpu = median_time(f)
                cell = f"{name} {wall * 1e6:.0f} us {flops / wall / 1e9:.2f} GFLOP/s"
                if threads == 1:
                    cell += f" (cpu {flops / cpu / 1e9:.2f})"
                cells.append(cell)
            print(f"threads={threads} {n}x{h}x{w}x{c} s{stride}: " + " | ".join(cells))


if __name__ == "__main__":
    main()
