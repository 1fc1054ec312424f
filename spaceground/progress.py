"""Progress of long work on stderr, for the command line and for API calls given ``progress=True``.

A callable ``progress`` receives the counts and prints nothing itself; ``progress=True`` prints as the
command line does: a self-rewriting line on a terminal, a few plain lines otherwise (a log, a notebook).
"""

from __future__ import annotations

import sys
import time

from .errors import InputError


class Progress:
    """Progress of a search over satellites: ``progress(done, total)``."""

    def __init__(self, what, stream=None):
        self.what = what
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self.last_pct = -100

    def __call__(self, done, total):
        pct = 100 * done // max(total, 1)
        elapsed = time.perf_counter() - self.started
        line = f"{self.what}: {done}/{total} satellites ({pct}%), {elapsed:.1f} s"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if done >= total else ""))
            self.stream.flush()
        elif pct - self.last_pct >= 25 or done >= total:
            self.stream.write(line + "\n")
            self.last_pct = pct


class StageProgress:
    """Progress of a run or a comparison, one line per stage: ``progress(stage, done, total)``."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.started = time.perf_counter()
        self.last = {}

    def __call__(self, stage, done, total):
        pct = 100 * done // max(total, 1)
        if not self.tty and pct - self.last.get(stage, -100) < 25 and done < total:
            return
        self.last[stage] = pct
        if stage == "geometry":
            what = f"{done}/{total} satellites"
        elif stage.startswith("policies"):
            what = f"{done}/{total} policies"
        elif stage.startswith("bound"):
            what = "done"
        else:
            what = f"{pct}% of the span"
        line = f"{stage}: {what}, {time.perf_counter() - self.started:.1f} s"
        end = "\n" if done >= total or not self.tty else ""
        self.stream.write(("\r" if self.tty else "") + line + end)
        self.stream.flush()


def _resolve(progress, make, shape):
    if progress is None or progress is False:
        return None
    if progress is True:
        return make()
    if callable(progress):
        return progress
    raise InputError(f"progress={progress!r}: give True (print to stderr), False or None, or a callable{shape}")


def satellite_progress(progress, what):
    """The ``progress(done, total)`` callable that ``progress`` (True, False, None or a callable) stands for."""
    return _resolve(progress, lambda: Progress(what), "(done, total)")


def stage_progress(progress):
    """The ``progress(stage, done, total)`` callable that ``progress`` stands for."""
    return _resolve(progress, StageProgress, "(stage, done, total)")
