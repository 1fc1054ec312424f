"""User policies: where their code comes from, when it may run, and how a fault in it is reported.

The trust model (``docs/policies.md``, "Your own policy"):

* A scenario names a user policy as ``module:Callable``. The module is a file beside the
  scenario (``module.py``, or ``pkg/mod.py`` for ``pkg.mod``), or the name is one an installed
  package registers under the entry-point group ``spaceground.policies``. Nothing else is
  imported: ``subprocess:call`` names no file beside the scenario and is refused.
* Code runs only with consent. A policy named in the scenario file runs only when the caller
  allows it (``--allow-code`` on the command line, ``allow_code=True`` in the API); a policy the
  caller names itself (``--policy``, ``--policies``, ``policy=``) is that consent. An installed
  entry point was consented to when it was installed. ``validate`` never runs user code: it
  reads the file and checks, without importing it, that it defines the callable.
* The callable must be a policy class (with ``on_capture``, ``on_arrival`` and
  ``downlink_order``) or a function marked with :func:`policy_factory`; any other function is
  refused before it is called.
* Every call into a user policy is guarded (:class:`GuardedPolicy`): an exception, ``sys.exit``
  or a call that runs past ``time_limit_s`` (default :data:`DEFAULT_TIME_LIMIT_S`) ends the run
  with a :class:`~spaceground.policies.PolicyError` naming the policy, the method, the capture
  time and the line of the policy's file where it failed.
"""

from __future__ import annotations

import ast
import ctypes
import hashlib
import importlib.util
import math
import os
import signal
import sys
import threading
import time
import traceback

from ..errors import InputError

ENTRY_POINT_GROUP = "spaceground.policies"
DEFAULT_TIME_LIMIT_S = 10.0
POLICY_METHODS = ("on_capture", "on_arrival", "downlink_order")
OPTIONAL_METHODS = (
    "start",
    "may_compute",
    "compute_recheck_s",
    "next_onboard_job",
    "choose_pass",
    "book_pass",
    "report",
)


def policy_factory(func):
    """Mark a function as a policy factory (called with the scenario's ``policy.params``, returning a policy)."""
    func.__spaceground_policy_factory__ = True
    return func


def entry_point(name):
    """The installed entry point that registers policy ``name``, or None."""
    from importlib.metadata import entry_points

    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    return found[0] if found else None


def _module_file(module, base_dir):
    parts = module.split(".")
    if not parts or not all(p.isidentifier() for p in parts):
        raise InputError(f"policy module {module!r} is not a Python module name")
    for candidate in (os.path.join(*parts) + ".py", os.path.join(*parts, "__init__.py")):
        path = os.path.join(base_dir, candidate)
        if os.path.isfile(path):
            return path
    return None


def locate(name, base_dir):
    """(module file, callable name) of a ``module:callable`` policy beside the scenario; a clear error otherwise."""
    module, _, attr = str(name).partition(":")
    if not attr.isidentifier():
        raise InputError(f"policy {name!r}: after the colon give the name of a class or factory in the module")
    path = _module_file(module, base_dir)
    if path is None:
        raise InputError(
            f"policy {name!r}: no file {module.replace('.', os.sep)}.py beside the scenario (in {base_dir}); "
            "save the policy there, or install a package that registers it under the entry-point group "
            f"{ENTRY_POINT_GROUP!r}"
        )
    return path, attr


def check_source(name, base_dir):
    """Check, without running anything, that a ``module:callable`` policy's file defines the callable as a
    class or a function (what ``validate`` does)."""
    path, attr = locate(name, base_dir)
    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
    except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        raise InputError(
            f"policy {name!r}: {path}{f', line {line}' if line else ''}: not valid Python ({exc})"
        ) from None
    if any(attr in _top_level_names(node) for node in tree.body):
        return path
    raise InputError(f"policy {name!r}: {path} defines no {attr!r} at its top level")


def _top_level_names(node):
    """The names a module-level statement binds: a class or function, an assignment's names, an import's."""
    if isinstance(node, ast.ClassDef | ast.FunctionDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {t.id for t in targets if isinstance(t, ast.Name)}
    if isinstance(node, ast.ImportFrom):
        return {a.asname or a.name for a in node.names}
    return set()


def load_callable(name, base_dir):
    """Import the policy file beside the scenario (user code runs here) and return its callable."""
    path, attr = locate(name, base_dir)
    digest = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:12]
    module_name = f"spaceground_user_policy_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        with _guard(f"policy {name!r}: importing {path}", None, None):
            spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    if not hasattr(module, attr):
        raise InputError(f"policy {name!r}: {path} defines no {attr!r}")
    return getattr(module, attr)


def check_factory(name, factory):
    """A user callable must be a policy class or a function marked :func:`policy_factory`."""
    if isinstance(factory, type):
        missing = [m for m in POLICY_METHODS if not callable(getattr(factory, m, None))]
        if missing:
            raise InputError(
                f"policy {name!r} is a class without {', '.join(missing)}; subclass "
                "spaceground.policies.BasePolicy (see docs/policies.md)"
            )
        return
    if callable(factory) and getattr(factory, "__spaceground_policy_factory__", False):
        return
    raise InputError(
        f"policy {name!r} is not a policy class or factory; name a class with on_capture, on_arrival and "
        "downlink_order, or a function decorated with @spaceground.policies.policy_factory"
    )


def construct(name, factory, params, time_limit_s):
    """Call a user factory with the params, guarded like every later call."""
    with _guard(f"policy {name!r}: creating it with params {sorted(params)}", None, time_limit_s):
        try:
            return factory(**params)
        except TypeError as exc:
            raise InputError(f"policy {name!r} does not take these params {sorted(params)}: {exc}") from None


class PolicyTimeout(BaseException):
    """A call into a user policy ran past its time limit (raised inside the policy's code)."""


def _where(tb):
    """The last frame of a traceback that is not spaceground's own: the user's file and line."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [f for f in traceback.extract_tb(tb) if not os.path.abspath(f.filename).startswith(here)]
    f = frames[-1] if frames else (traceback.extract_tb(tb)[-1] if tb else None)
    return f" at {f.filename}, line {f.lineno}" if f else ""


class _guard:
    """Run a block of user code: its faults become PolicyError naming ``what``; a time limit applies."""

    def __init__(self, what, now_s, time_limit_s):
        self.what, self.now_s, self.limit = what, now_s, time_limit_s
        self.timer = None

    def __enter__(self):
        if self.limit and math.isfinite(self.limit):
            self.timer = _Timer.start(self.limit)
        return self

    def __exit__(self, kind, exc, tb):
        if self.timer is not None:
            self.timer.stop()
        if kind is None:
            return False
        from . import PolicyError

        when = f" (simulation time {self.now_s:.1f} s)" if self.now_s is not None else ""
        if issubclass(kind, PolicyTimeout):
            raise PolicyError(
                f"{self.what}{when}: no answer within the time limit of {self.limit:g} s{_where(tb)}; "
                "make the call faster or raise policy.time_limit_s"
            ) from None
        if issubclass(kind, KeyboardInterrupt) or issubclass(kind, InputError):
            return False
        if issubclass(kind, SystemExit):
            raise PolicyError(
                f"{self.what}{when}: the policy called sys.exit({exc.code!r}){_where(tb)}; a policy "
                "returns a decision, it does not end the run"
            ) from None
        if issubclass(kind, Exception):
            raise PolicyError(f"{self.what}{when}: raised {kind.__name__}: {exc}{_where(tb)}") from None
        return False


class _Timer:
    """A per-call alarm: SIGALRM in the main thread (interrupts sleeps and loops alike); elsewhere (a Dask
    worker's thread) a watchdog thread that raises PolicyTimeout in the calling thread (Python code only)."""

    @classmethod
    def start(cls, limit_s):
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            return _AlarmTimer(limit_s)
        return _WatchdogTimer(limit_s)


def _on_alarm(signum, frame):
    raise PolicyTimeout()


class _AlarmTimer:
    def __init__(self, limit_s):
        self.old = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit_s)

    def stop(self):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)


class _WatchdogTimer:
    """One watchdog thread per process polls the deadlines of the calls under way (20 times a second)."""

    _deadlines = {}  # thread ident -> monotonic deadline
    _thread = None
    _lock = threading.Lock()

    def __init__(self, limit_s):
        self.ident = threading.get_ident()
        self._deadlines[self.ident] = time.monotonic() + limit_s
        with self._lock:
            if _WatchdogTimer._thread is None or not _WatchdogTimer._thread.is_alive():
                _WatchdogTimer._thread = threading.Thread(target=self._watch, daemon=True, name="policy-watchdog")
                _WatchdogTimer._thread.start()

    @classmethod
    def _watch(cls):
        while True:
            time.sleep(0.05)
            now = time.monotonic()
            for ident, deadline in list(cls._deadlines.items()):
                if now > deadline and cls._deadlines.pop(ident, None) is not None:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(PolicyTimeout))

    def stop(self):
        self._deadlines.pop(self.ident, None)


class GuardedPolicy:
    """A user policy whose every call is guarded (see the module docstring); the engine sees the same methods."""

    def __init__(self, inner, name, time_limit_s=DEFAULT_TIME_LIMIT_S):
        self.inner, self.policy_name, self.time_limit_s = inner, name, time_limit_s
        self.offline_planner = bool(getattr(inner, "offline_planner", False))  # it may see the future captures
        for method in POLICY_METHODS + OPTIONAL_METHODS:
            fn = getattr(inner, method, None)
            if callable(fn):
                setattr(self, method, self._guarded(method, fn))

    def _guarded(self, method, fn):
        name, limit = self.policy_name, self.time_limit_s
        timer = _Timer.start if limit and math.isfinite(limit) else None

        def call(*args):
            t = timer(limit) if timer is not None else None
            try:
                try:
                    return fn(*args)
                finally:  # the limit stops with the call, before any fault of it is reported
                    if t is not None:
                        t.stop()
            except BaseException:  # noqa: BLE001 - _guard turns it into a named PolicyError (Ctrl-C passes)
                now = getattr(args[0], "now_s", None) if args else None
                with _guard(f"policy {name!r}: {method}()", now, limit):
                    raise

        return call
