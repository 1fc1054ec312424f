"""Say so when the compiled kernels are about to be compiled, instead of sitting silent.

The geometry kernels (:mod:`spaceground._kernels`, :mod:`spaceground._isl_kernels`) are compiled by
numba on their first call after an install and cached on disk (``__pycache__`` beside the module, or
``NUMBA_CACHE_DIR``); that first call takes about twenty seconds, later ones start at once. A kernel
whose cache index is on disk has been compiled before; one without will be compiled now.
"""

from __future__ import annotations

import os
import sys

_announced = set()

NOTICE = "spaceground: compiling the {what} kernels once after an install (about {seconds} s); later runs start at once"


def _dispatchers(module):
    """The kernels ``module`` defines that are compiled on their own (inlined helpers are compiled into them)."""
    for value in vars(module).values():
        if not (hasattr(value, "py_func") and hasattr(value, "_cache")):
            continue
        if value.py_func.__module__ != module.__name__ or value.targetoptions.get("inline") == "always":
            continue
        yield value


def uncompiled_kernels(module, names=None) -> list[str]:
    """Names of the compiled kernels of ``module`` (or of those of them in ``names``) with no machine code
    cached on disk yet.

    A kernel whose cache cannot be inspected (another numba layout, caching disabled) counts as compiled:
    the notice is then left out rather than shown wrongly.
    """
    if os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0"):
        return []
    missing = []
    for dispatcher in _dispatchers(module):
        if names is not None and dispatcher.py_func.__name__ not in names:
            continue
        try:
            index = dispatcher._cache._cache_file._index_path
        except AttributeError:
            continue
        if not os.path.exists(index):
            missing.append(dispatcher.py_func.__name__)
    return missing


def announce_compilation(module, names, what: str, seconds: int, stream=None) -> bool:
    """Print the one-line notice if the kernels ``names`` of ``module`` that a call is about to use are not
    compiled yet (at most once per process and module). Returns whether the notice was printed.
    """
    if module.__name__ in _announced:
        return False
    if not uncompiled_kernels(module, names):
        return False
    _announced.add(module.__name__)
    stream = stream or sys.stderr
    stream.write(NOTICE.format(what=what, seconds=seconds) + "\n")
    stream.flush()
    return True
