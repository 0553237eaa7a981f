"""The child process's environment: which libraries it runs, their thread counts, the BLAS numpy uses,
and the CPU (read from /proc/cpuinfo, not assumed)."""
import os
import pathlib
import platform
import sys

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent
# Variables that pin OpenBLAS to a kernel other than the one it picks for this CPU (some machines set
# OPENBLAS_CORETYPE=Haswell, holding numpy to AVX2 code): children measure numpy without them.
OPENBLAS_PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def child_environ(backend=None, inherit_openblas=False):
    """The environment of a benchmark child process: this one's, minus OPENBLAS_PINS unless inherit_openblas
    (so numpy runs OpenBLAS's native kernel, as users normally run it)."""
    env = dict(os.environ)
    if not inherit_openblas:
        for name in OPENBLAS_PINS:
            env.pop(name, None)
    if backend:
        env["KERAS_BACKEND"] = backend
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def inherited_openblas_pins():
    """{name: value} of the OPENBLAS_PINS set in this process's environment."""
    return {name: os.environ[name] for name in OPENBLAS_PINS if name in os.environ}


def numpy_blas():
    """The BLAS numpy calls, as threadpoolctl reports it (OpenBLAS: the core it chose, "architecture"), and
    the OPENBLAS_PINS this process runs with: {"libraries": [{"internal_api", "version", "architecture",
    "num_threads"}], "pins": {...}}; "libraries" is None without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return {"libraries": None, "pins": inherited_openblas_pins()}
    libraries = [{k: lib.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
                 for lib in threadpool_info() if lib.get("user_api") == "blas"]
    return {"libraries": libraries, "pins": inherited_openblas_pins()}


def cpu_info():
    """{"vendor", "family", "model", "model name", "avx512", "avx2"} of the first processor in /proc/cpuinfo
    ("avx512": its avx512* flags, space-separated; "avx2": a bool); {} where there is no /proc/cpuinfo."""
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.split("\n\n")[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    flags = fields.get("flags", "").split()
    return {"vendor": fields.get("vendor_id", "?"), "family": fields.get("cpu family", "?"),
            "model": fields.get("model", "?"), "model name": fields.get("model name", platform.processor() or "?"),
            "avx512": " ".join(sorted(f for f in flags if f.startswith("avx512"))),
            "avx2": "avx2" in flags}


def import_nnkern():
    try:
        import nnkern
    except ImportError:  # running from a source tree with an in-place build
        sys.path.insert(0, str(REPO / "python"))
        import nnkern
    return nnkern


def keras_backend():
    import importlib.util
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    return "tensorflow" if importlib.util.find_spec("tensorflow") else "jax"


def prepare_thread_env(threads, backend):
    """Thread settings that must be in the environment before the libraries start."""
    os.environ["KERAS_BACKEND"] = backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    if backend == "jax" and threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1").strip()


class Env:
    """The libraries of one child process, imported when present and wanted, with their thread counts set."""

    def __init__(self, threads, peers):
        self.threads = threads
        self.versions = {"python": platform.python_version(), "numpy": np.__version__}
        self.missing = {}
        self.nnkern = import_nnkern()
        self.nnkern.set_num_threads(threads)
        self.versions["nnkern"] = self.nnkern.__version__
        info = self.nnkern._core.build_info()
        self.versions["nnkern build"] = f"{info['compiler']}, -march={info['march']}, simd: {info['simd']}, " \
                                        f"openmp: {info.get('openmp', 'no')}"
        self._limits = None
        try:
            from threadpoolctl import threadpool_limits
            self._limits = threadpool_limits(limits=threads)  # numpy's BLAS (and any OpenMP pool)
            import threadpoolctl
            self.versions["threadpoolctl"] = threadpoolctl.__version__
        except ImportError:
            self.missing["threadpoolctl"] = "not installed: numpy's BLAS threads not limited, its core not known"
        self.blas = numpy_blas()
        self.torch = self.ort = self.keras = None
        if "torch" in peers:
            try:
                import torch
                torch.set_num_threads(threads)
                torch.set_grad_enabled(False)
                self.torch = torch
                self.versions["torch"] = torch.__version__
            except ImportError as e:
                self.missing["torch"] = str(e)
        if "onnxruntime" in peers:
            try:
                import onnx
                import onnxruntime
                self.ort = onnxruntime
                self.versions["onnxruntime"] = onnxruntime.__version__
                self.versions["onnx"] = onnx.__version__
            except ImportError as e:
                self.missing["onnxruntime"] = str(e)
        if "keras" in peers:
            try:
                if os.environ["KERAS_BACKEND"] == "tensorflow":
                    import tensorflow as tf
                    tf.config.threading.set_intra_op_parallelism_threads(threads)
                    tf.config.threading.set_inter_op_parallelism_threads(1)
                    self.versions["tensorflow"] = tf.__version__
                elif os.environ["KERAS_BACKEND"] == "jax":
                    import jax
                    self.versions["jax"] = jax.__version__
                import keras
                self.keras = keras
                self.versions["keras"] = f"{keras.__version__} ({keras.backend.backend()} backend)"
            except ImportError as e:
                self.missing["keras"] = str(e)

