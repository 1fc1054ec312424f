"""The ``spaceground`` command's entry point: through the warm process of :mod:`spaceground.warm` when one of this
install runs, else in this process. It imports only the standard library until it knows which."""

from __future__ import annotations

import os
import signal
import sys

from .warm import connect, current_umask, receive_message, send_message


def main(argv=None) -> int:
    """The ``spaceground`` entry point: through the warm process when one of this install runs, else in this one."""
    args = sys.argv[1:] if argv is None else list(argv)
    if os.environ.get("SPACEGROUND_WARM", "1") != "0" and args and args[0] != "serve":
        rc = _through_warm(args)
        if rc is not None:
            return rc
    from .cli import main as cli_main

    return cli_main(args)


def _through_warm(args):
    """Run ``args`` in the warm process: its exit status, or None when none serves this install."""
    conn = connect()
    if conn is None:
        return None
    try:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        request = {"argv": args, "cwd": os.getcwd(), "env": dict(os.environ), "umask": current_umask()}
        send_message(conn, request, fds=(0, 1, 2))
        started, _ = receive_message(conn)
    except (OSError, ConnectionError, ValueError):
        conn.close()
        return None  # gone, refused or of another user: run here
    pid = int(started["pid"])

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        done, _ = receive_message(conn)
    except (OSError, ConnectionError, ValueError):
        sys.stderr.write(
            f"spaceground: error: the warm process stopped while running this command (child {pid}); "
            "its outputs are written whole or not at all: run it again (SPACEGROUND_WARM=0 runs it here)\n"
        )
        return 1
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        conn.close()
    return int(done["rc"])
