"""numpy's own BLAS (the OpenBLAS numpy ships or links), found at run time so that generated C can
call its sgemm/dgemm through pointers: the addresses and the C type of its integer arguments."""
import ctypes
import glob
import os
import warnings

import numpy as np

__all__ = ["BlasInfo", "blas", "bind", "library_path", "kernel_threads"]

# the symbol names numpy's builds use, ILP64 first (scipy-openblas64 prefixes and suffixes)
_PREFIXES = ("scipy_", "")
_SUFFIXES = ("64_", "")
_THREADS = ("openblas_set_num_threads", "openblas_get_num_threads")

_found = None


class BlasInfo:
    """numpy's BLAS: ``sgemm``/``dgemm`` (addresses of the CBLAS functions), ``int_type`` (the C
    type of their integer arguments: "int64_t" for the ILP64 ``64_`` symbols, else "int"),
    ``path`` (the shared library) and ``set_num_threads``/``get_num_threads`` (ctypes functions,
    or None when the library has none)."""

    __slots__ = ("sgemm", "dgemm", "int_type", "path", "set_num_threads", "get_num_threads")

    def __init__(self, sgemm, dgemm, int_type, path, set_num_threads=None, get_num_threads=None):
        self.sgemm = sgemm
        self.dgemm = dgemm
        self.int_type = int_type
        self.path = path
        self.set_num_threads = set_num_threads
        self.get_num_threads = get_num_threads

    def __repr__(self):
        return f"BlasInfo({os.path.basename(self.path)}, int_type={self.int_type})"


def _candidate_paths():
    numpy_dir = os.path.dirname(np.__file__)
    paths = []
    # wheels: the OpenBLAS numpy vendors sits in numpy.libs/ beside the package
    for pattern in ("*openblas*.so*", "*openblas*.dylib", "*blas*.so*"):
        paths.extend(sorted(glob.glob(os.path.join(numpy_dir, os.pardir, "numpy.libs", pattern))))
        paths.extend(sorted(glob.glob(os.path.join(numpy_dir, ".dylibs", pattern))))
    # other builds: whatever BLAS the process has mapped since numpy was imported
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 6 and "blas" in os.path.basename(fields[5]).lower():
                    paths.append(fields[5])
    except OSError:
        pass
    unique = []
    for path in paths:
        path = os.path.realpath(path)
        if path not in unique and os.path.exists(path):
            unique.append(path)
    return unique


def _lookup(library, base):
    """The function called ``base`` in numpy's spelling of it: (function, suffix, full name)."""
    for suffix in _SUFFIXES:
        for prefix in _PREFIXES:
            name = prefix + base + suffix
            try:
                function = getattr(library, name)
            except AttributeError:
                continue
            return function, suffix, name
    return None, None, None


def _address(function):
    return ctypes.cast(function, ctypes.c_void_p).value


def _probe(path):
    try:
        library = ctypes.CDLL(path)
    except OSError:
        return None
    sgemm, suffix, _ = _lookup(library, "cblas_sgemm")
    if sgemm is None:
        return None
    dgemm, dsuffix, _ = _lookup(library, "cblas_dgemm")
    if dgemm is None or dsuffix != suffix:
        return None
    int_type = "int64_t" if suffix == "64_" else "int"
    set_threads = None
    get_threads = None
    setter, _, _ = _lookup(library, _THREADS[0])
    getter, _, _ = _lookup(library, _THREADS[1])
    if setter is not None and getter is not None:
        setter.argtypes = [ctypes.c_int]
        setter.restype = None
        getter.argtypes = []
        getter.restype = ctypes.c_int
        set_threads = setter
        get_threads = getter
    return BlasInfo(_address(sgemm), _address(dgemm), int_type, path, set_threads, get_threads)


def blas():
    """numpy's BLAS as a BlasInfo, found once per process; None when none with CBLAS sgemm and
    dgemm can be found (the cpu backend then leaves matrix products to numpy)."""
    global _found
    if _found is None:
        info = None
        for path in _candidate_paths():
            info = _probe(path)
            if info is not None:
                break
        _found = (info,)
    return _found[0]


def bind(library):
    """Hand numpy's BLAS to a compiled library (ctypes) built on codegen.header's prelude: its
    ``sporen_set_blas(sgemm, dgemm, set_threads, get_threads)``, the thread functions NULL when the
    BLAS has none. Returns False (and sets nothing) when there is no BLAS."""
    info = blas()
    if info is None:
        return False
    threads = [None, None]
    if info.set_num_threads is not None:
        threads = [_address(info.set_num_threads), _address(info.get_num_threads)]
    library.sporen_set_blas(ctypes.c_void_p(info.sgemm), ctypes.c_void_p(info.dgemm),
                            ctypes.c_void_p(threads[0]), ctypes.c_void_p(threads[1]))
    return True


def library_path():
    """The path of numpy's BLAS library, or None."""
    info = blas()
    return None if info is None else info.path


def kernel_threads():
    """The OpenMP team size of the generated kernels: ``SPOREN_NUM_THREADS``, else as many as numpy's
    BLAS has threads. A graph's segments run BLAS on one thread and share the cores out on this one
    team (products in panels, codegen/gemm.py), so that no second pool of threads busy-waits beside
    it; where BLAS's thread count cannot be set (no ``openblas_set_num_threads``) the two pools
    would fight, and the kernels run on one thread: an elementwise loop split over 2 threads right
    after a 2-thread BLAS product ran 2-3x slower than on one (the Transformer step: 175 ms with 2
    kernel threads, 129 ms with 1; LeNet b32: 15.8 ms, 4.3 ms; 2 cores)."""
    value = os.environ.get("SPOREN_NUM_THREADS")
    if value is not None:
        try:
            return max(int(value), 1)
        except ValueError:
            warnings.warn(f"SPOREN_NUM_THREADS must be a positive int, got {value!r}; using 1", RuntimeWarning,
                          stacklevel=2)
            return 1
    info = blas()
    if info is None or info.get_num_threads is None:
        return 1
    return max(int(info.get_num_threads()), 1)
