"""Threads and build facts of the compiled core."""
import contextlib
import os
import sys
import threading

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


@contextlib.contextmanager
def thread_limit(n):
    """Within the block, kernel calls made from this thread (only) use at most ``n`` threads; 0: no limit
    beyond `set_num_threads`. The thread's previous limit comes back on leaving the block. Results are
    bitwise the same for any limit.

        with nnkern._config.thread_limit(1):
            model.predict(x)   # this thread's kernels run on one core; other threads are not affected
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"thread_limit: n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"thread_limit: n must be >= 0 (0: no limit), got {n}")
    previous = _core.get_thread_limit()
    _core.set_thread_limit(n)
    try:
        yield
    finally:
        _core.set_thread_limit(previous)


# One worker thread for run_pair, made on first use. A child forked while it existed has only its
# Python object (the thread itself does not survive fork), so the child makes a new one.
_pool = None
_pool_lock = threading.Lock()
_this_thread = threading.local()  # .is_worker: True on the worker thread


def _forget_pool_after_fork():
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _worker():
    global _pool
    with _pool_lock:
        if _pool is None:
            import concurrent.futures  # here: only Bidirectional needs it (with logging, ~5 ms of import)
            _pool = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="nnkern-pair", initializer=setattr,
                initargs=(_this_thread, "is_worker", True))
        return _pool


def run_pair(first, second):
    """(first(), second()), run at the same time: second on nnkern's worker thread, first on this one, each
    with its kernels on half of this thread's kernel threads (at least one), so that together they do not
    start more threads than the cores given. Meant for two calls whose time goes to kernels, which release
    the GIL. An exception of either is raised here, after both have finished (first's if both raise). Called
    on the worker thread itself (from within a `second`), it runs the two one after the other: the worker
    cannot wait for itself."""
    if getattr(_this_thread, "is_worker", False):
        return first(), second()
    threads, limit = get_num_threads(), _core.get_thread_limit()
    share = max(1, (min(threads, limit) if limit else threads) // 2)

    def limited(fn):
        with thread_limit(share):
            return fn()

    future = _worker().submit(limited, second)
    try:
        first_result = limited(first)
    except BaseException:
        import concurrent.futures  # imported by _worker() already
        concurrent.futures.wait([future])  # second may still read arrays the caller is about to drop
        raise
    return first_result, future.result()


def show_config(print_fn=print):
    """Print nnkern's version, Eigen and compiler versions, the kernel variant (ISA) and SIMD in use and threads,
    in the manner of ``numpy.show_config()``."""
    import platform
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
