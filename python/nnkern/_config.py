"""Threads and build facts of the compiled core."""
import os
import platform
import sys

from nnkern import _core


def set_num_threads(n):
    """Set the number of threads every nnkern kernel may use.

    Until set: ``NNKERN_NUM_THREADS``, else ``OMP_NUM_THREADS`` (its first value), else the cores this
    process may run on. Each call uses at most this many, fewer for small work; results are bitwise
    the same for any count."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__}")
    _core.set_num_threads(n)


def get_num_threads():
    """Number of threads nnkern kernels may use (see `set_num_threads`)."""
    return _core.get_num_threads()


def show_config(print_fn=print):
    """Print nnkern's version, Eigen and compiler versions, the kernel variant (ISA) and SIMD in use and threads,
    in the manner of ``numpy.show_config()``."""
    info = _core.build_info()
    lines = [
        "nnkern:",
        f"  version: {info['version']}",
        f"  python: {sys.version.split()[0]} ({platform.machine()})",
        "build:",
        f"  compiler: {info['compiler']}",
        f"  kernel variants: {', '.join(_core.isa_variants())}",
        f"  eigen: {info['eigen']}",
        "kernel variant in use:",
        f"  isa: {_core.isa()} (NNKERN_ISA={os.environ.get('NNKERN_ISA') or 'auto'})",
        f"  -march: {info['march'] or '(compiler default)'}",
        f"  simd: {info['simd']} ({info['packet_floats']} floats per packet)",
        f"  openmp: {info.get('openmp', 'no')}",
        "runtime:",
        f"  threads: {get_num_threads()}",
        f"  load aware: {_core.load_aware()}",
    ]
    if _core.forked_single_threaded():
        lines.append("  (forked after threaded calls: kernels run on one thread in this process)")
    print_fn("\n".join(lines))
