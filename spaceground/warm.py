"""A warm process for the command line: ``spaceground serve`` keeps the libraries imported and the kernels loaded, and
each ``spaceground`` command started while it runs is carried out by a fork of it.

Every process of ours pays about a second before its first line of work (the interpreter, numpy, pandas, numba and
its cached kernels; ``bench/cli_start.py``). For a command whose work takes a second or two that doubles its time.
With a warm process the command's own process imports nothing heavy: it sends its arguments, working folder,
environment and its standard input, output and error (the descriptors themselves, so a progress line still sees a
terminal and ``| head`` still closes the pipe) over a Unix socket; the warm process forks, the child runs the command
exactly as ``spaceground.cli.main`` would in a fresh process, and the exit status comes back. Ctrl-C in the
command's terminal interrupts the child, as it would the command.

Never stale: the socket's name is a key of this install, the interpreter, the source and data files of the package
(path, size, modification time), the folders of ``sys.path`` (a package installed or removed changes them) and the
environment variables that reach libraries at import (``SPACEGROUND_*``, ``NUMBA_*``, ``OMP_*``, ``MKL_*``,
``PYTHON*``). A command whose key differs finds no socket and runs in its own process; a warm process whose files
changed under it stops serving. ``SPACEGROUND_WARM=0`` runs a command in its own process whatever runs.

Only the user who started it may use it: the socket is in a folder only that user can enter (the runtime folder,
``XDG_RUNTIME_DIR``, or the temporary folder), and each connection's peer is checked to be that user.

This module imports only the standard library. The command's entry point is :mod:`spaceground.launch`; the
server runs the command line's ``main``, which the ``serve`` command hands it.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import signal
import socket
import struct
import sys
import tempfile
import time

ENV_KEYS = ("SPACEGROUND_", "NUMBA_", "OMP_", "MKL_", "OPENBLAS_", "PYTHON")
MAX_MESSAGE = 1 << 22  # bytes of a request: arguments, folder and environment
DEFAULT_IDLE_MIN = 30.0


def package_dir():
    return os.path.dirname(os.path.abspath(__file__))


def install_key(environ=None) -> str:
    """The key of this install, interpreter, code, library folders and library environment (see the module)."""
    environ = os.environ if environ is None else environ
    h = hashlib.sha256()
    h.update(sys.executable.encode())
    h.update(sys.version.encode())
    root = package_dir()
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".nbi", ".nbc")):
                continue
            path = os.path.join(folder, name)
            st = os.stat(path)
            h.update(f"{os.path.relpath(path, root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    for entry in sys.path[1:]:  # (the first is the script's folder or the working folder, not a library's)
        try:
            h.update(f"{entry}\0{os.stat(entry or '.').st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{entry}\0-\n".encode())
    for name in sorted(environ):
        if name.startswith(ENV_KEYS) and name != "SPACEGROUND_WARM":
            h.update(f"{name}={environ[name]}\n".encode())
    return h.hexdigest()[:20]


def socket_folder() -> str:
    """This user's folder of warm-process sockets (made on first use, mode 0700)."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return os.path.join(base, f"spaceground-{os.getuid()}")


def socket_path(key=None) -> str:
    return os.path.join(socket_folder(), f"{key or install_key()}.sock")


def _private_folder(folder):
    """Make ``folder`` (0700) or check that an existing one is ours and private; raise OSError otherwise."""
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    st = os.lstat(folder)
    if not os.path.isdir(folder) or os.path.islink(folder) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise OSError(f"{folder} is not a private folder of this user; remove it and start the warm process again")


# --- framing: a 4-byte length, then JSON ----------------------------------------------------------------------------


def send_message(conn, obj, fds=()):
    data = json.dumps(obj).encode()
    payload = struct.pack("!I", len(data)) + data
    if fds:
        socket.send_fds(conn, [payload], list(fds))
    else:
        conn.sendall(payload)


def _recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    return buf


def receive_message(conn, with_fds=0):
    """One message (and up to ``with_fds`` descriptors sent with its first bytes)."""
    fds = []
    if with_fds:
        head, fds, _, _ = socket.recv_fds(conn, 4, with_fds)
        if not head:
            raise ConnectionError("closed")
        head += _recv_exact(conn, 4 - len(head))
    else:
        head = _recv_exact(conn, 4)
    (n,) = struct.unpack("!I", head)
    if n > MAX_MESSAGE:
        for fd in fds:
            os.close(fd)
        raise ConnectionError(f"a message of {n} bytes")
    return json.loads(_recv_exact(conn, n)), fds


def is_ours(path):
    """Is the socket ``path`` this user's, in this user's private folder? (Nothing is sent to anyone else.)"""
    try:
        folder, sock = os.lstat(os.path.dirname(path)), os.lstat(path)
    except OSError:
        return False
    uid = os.getuid()
    return folder.st_uid == uid and not folder.st_mode & 0o077 and sock.st_uid == uid


def connect(path=None):
    """A connection to the warm process at ``path`` (this install's by default), or None when none answers there or
    the socket is not this user's."""
    path = path or socket_path()
    if not os.path.exists(path) or not is_ours(path):
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    return conn


def stop(out=None) -> int:
    """Ask the warm process of this install to stop: 0 if one was asked, 1 if none runs."""
    out = out or sys.stdout
    path = socket_path()
    conn = connect(path)
    if conn is None:
        out.write("spaceground: no warm process of this install runs\n")
        return 1
    try:
        send_message(conn, {"stop": True})
        receive_message(conn)
    except (OSError, ConnectionError, ValueError):
        out.write("spaceground: no warm process of this install runs\n")
        return 1
    finally:
        conn.close()
    out.write(f"spaceground: the warm process at {path} stops\n")
    return 0


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- the warm process ----------------------------------------------------------------------------------------------


def _warm_up(run):
    """Import what the commands import and load each kernel once (on a throwaway span of two satellites), through
    ``run`` (the command line's ``main``)."""
    import contextlib
    import io

    from .elements import walker_tle

    tle = walker_tle(1, 2, 0, 550.0, 98.0, "2025-10-03T12:00:00Z", name="WARM")  # two satellites half an orbit apart
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "warm.tle")
        with open(path, "w") as f:
            f.write(tle)
        span = ["--tle", path, "--start", "2025-10-03T12:00:00Z", "--hours", "2"]
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            for argv in (["contacts", *span], ["eclipses", *span], ["links", *span]):
                if run([*argv, "-o", os.path.join(tmp, "t.parquet")]) != 0:
                    raise RuntimeError(f"warming up `spaceground {argv[0]}` failed: {sink.getvalue().strip()}")
    import pandas  # noqa: F401  (the scenario layer and the run's tables)

    from . import api, scenario, simulate  # noqa: F401


def serve(run, idle_min=DEFAULT_IDLE_MIN, out=None, ready=None):
    """Run the warm process until ``idle_min`` minutes pass with no command, its files change, or it is stopped
    (SIGINT, SIGTERM); each command is ``run(argv)`` in a fork (the command line's ``main``, given by the command
    line itself: this module imports nothing of ours). ``out`` gets a line when it is ready and one per command
    served."""
    out = out or sys.stdout
    key = install_key()
    folder = socket_folder()
    _private_folder(folder)
    path = socket_path(key)
    if len(os.fsencode(path)) > 107:
        raise OSError(
            f"the warm process's socket {path} is longer than a Unix socket's 107 bytes; "
            "set XDG_RUNTIME_DIR to a shorter folder"
        )
    probe = connect(path)
    if probe is not None:
        probe.close()
        out.write(f"spaceground: a warm process of this install already serves at {path}\n")
        out.flush()
        return 0
    if os.path.exists(path):
        os.unlink(path)  # left by a process that was killed
    t0 = time.perf_counter()
    _warm_up(run)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    os.chmod(path, 0o600)
    listener.listen(16)
    out.write(
        f"spaceground: warm process {os.getpid()} ready in {time.perf_counter() - t0:.1f} s at {path}; "
        f"commands of this install run in it until {idle_min:g} min without one (Ctrl-C stops it)\n"
    )
    out.flush()
    if ready is not None:
        ready()
    running = {}  # child pid -> (connection, argv, start time)
    stopping = []
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, lambda signum, frame: stopping.append(signum))
    # A child's end (SIGCHLD) wakes the loop at once through a pipe, so its command gets its status at once.
    wake_r, wake_w = os.pipe()
    for fd in (wake_r, wake_w):
        os.set_blocking(fd, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wake_w)
    last = time.monotonic()
    try:
        while not stopping:
            if running:
                last = time.monotonic()
            elif time.monotonic() - last > 60.0 * idle_min:
                out.write(f"spaceground: warm process {os.getpid()} stops after {idle_min:g} min without a command\n")
                break
            if install_key() != key:
                out.write(f"spaceground: warm process {os.getpid()} stops: this install's files changed\n")
                break
            conns = {conn.fileno(): pid for pid, (conn, _, _) in running.items()}
            try:
                ready, _, _ = select.select([listener, wake_r, *conns], [], [], 1.0)
            except InterruptedError:
                continue
            if wake_r in ready:
                while True:
                    try:
                        if not os.read(wake_r, 4096):
                            break
                    except BlockingIOError:
                        break
            _reap(running, out)
            for fd in ready:
                if fd in conns and conns[fd] in running:  # the command went away without a word: stop its child
                    try:
                        os.kill(conns[fd], signal.SIGTERM)
                    except ProcessLookupError:
                        pass
            if listener in ready:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    continue
                _accept(conn, (listener, wake_r, wake_w), running, out, run)
                last = time.monotonic()
    finally:
        signal.set_wakeup_fd(-1)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        listener.close()
        for pid in running:
            os.kill(pid, signal.SIGTERM)
        while running:
            _reap(running, out, block=True)
        os.close(wake_r), os.close(wake_w)
    return 0


def _accept(conn, own_fds, running, out, run):
    """Take one request: check the peer, fork, let the child run it; the parent remembers the child."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        _, uid, _ = struct.unpack("3i", creds)
        if uid != os.getuid():
            conn.close()
            return
        conn.settimeout(5.0)
        request, fds = receive_message(conn, with_fds=3)
        if request.get("stop") and not fds:
            send_message(conn, {"stopping": os.getpid()})
            conn.close()
            os.kill(os.getpid(), signal.SIGTERM)
            return
        if len(fds) != 3:
            raise ConnectionError(f"{len(fds)} descriptors")
    except (OSError, ConnectionError, ValueError) as exc:
        out.write(f"spaceground: warm process: a request was refused ({exc})\n")
        out.flush()
        conn.close()
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid == 0:  # the child: become the command's process
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for own in own_fds:
            own.close() if hasattr(own, "close") else os.close(own)
        for other, *_ in running.values():
            other.close()
        os._exit(_child(request, fds, conn, run))
    for fd in fds:
        os.close(fd)
    conn.settimeout(None)
    try:
        send_message(conn, {"pid": pid})
    except OSError:
        os.kill(pid, signal.SIGTERM)
    running[pid] = (conn, request["argv"], time.perf_counter())


def _child(request, fds, conn, run):
    """Run the command in this forked child as a fresh process would; the exit status."""
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        for stream in (sys.stdout, sys.stderr):
            stream.reconfigure(line_buffering=stream.isatty())
        os.environ.clear()
        os.environ.update(request["env"])
        os.umask(int(request["umask"]))
        os.chdir(request["cwd"])
        rc = run(list(request["argv"]))
    except SystemExit as exc:  # argparse's --help and usage errors
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except BaseException:
        import traceback

        traceback.print_exc()
        rc = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass
    conn.close()
    return int(rc or 0)


def _reap(running, out, block=False):
    """Send each finished child's exit status to its command (``block``: wait for one child)."""
    while running:
        try:
            pid, status = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            running.clear()
            return
        if pid == 0:
            break
        conn, argv, t0 = running.pop(pid, (None, None, None))
        if conn is None:
            continue
        rc = os.waitstatus_to_exitcode(status)
        rc = 128 - rc if rc < 0 else rc  # killed by a signal: as a shell reports it
        try:
            send_message(conn, {"rc": rc})
        except OSError:
            pass
        conn.close()
        out.write(f"spaceground: served {' '.join(argv[:1])} (exit {rc}) in {time.perf_counter() - t0:.2f} s\n")
        out.flush()
        if block:
            return
