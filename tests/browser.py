"""A headless Chromium driven over the DevTools protocol: real mouse events, then the page's state read back.

Only the system's Chromium and the ``websocket-client`` package: no browser is downloaded. The page is opened
from a file; the browser is started with a fresh profile and no network features.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

# A headless Chromium with a fresh profile and none of its network features.
HEADLESS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FLAGS = [*HEADLESS, "--remote-debugging-port=0", "--remote-allow-origins=*"]


def headless(profile_dir, *args):
    """Run headless Chromium once (``--dump-dom``, ``--screenshot``...) with a fresh profile; its finished process."""
    return subprocess.run(
        [chromium_path(), *HEADLESS, f"--user-data-dir={profile_dir}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("SPACEGROUND_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (SPACEGROUND_REQUIRE_CHROMIUM) but not installed")
        pytest.skip("no chromium on this machine (.ci/run installs Debian's package)")
    return path


class Browser:
    """One page in a headless Chromium; ``call`` sends a DevTools command and returns its result."""

    def __init__(self, url, profile_dir, width=1280, height=900):
        import websocket

        self.proc = subprocess.Popen(
            [chromium_path(), *FLAGS, f"--user-data-dir={profile_dir}", f"--window-size={width},{height}", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            m = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if m:
                port = int(m.group(1))
            elif not line and self.proc.poll() is not None:
                break
        if port is None:
            self.close()
            raise RuntimeError("chromium did not open its DevTools port")
        page = None
        while page is None and time.monotonic() < deadline:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            page = pages[0]["webSocketDebuggerUrl"] if pages else None
            time.sleep(0.05)
        self.ws = websocket.create_connection(page, timeout=30, suppress_origin=True)
        self.next_id = 0
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def js(self, expression):
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        out = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in out:
            raise RuntimeError(f"{expression}: {out['exceptionDetails']}")
        return out["result"].get("value")

    def wait_for(self, expression, timeout_s=30):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.js(expression):
                return
            time.sleep(0.05)
        raise TimeoutError(expression)

    def centre_of(self, selector):
        """Viewport centre (x, y) of the first element matching ``selector``, scrolled into view, in whole pixels
        (the page sees mouse positions in whole pixels)."""
        script = (
            "(() => { const e = document.querySelector(SEL); e.scrollIntoView({block: 'center'});"
            " const b = e.getBoundingClientRect();"
            " return [Math.round(b.left + b.width / 2), Math.round(b.top + b.height / 2)]; })()"
        )
        return self.js(script.replace("SEL", json.dumps(selector)))

    def mouse(self, kind, x, y, **extra):
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def click(self, x, y):
        self.mouse("mousePressed", x, y, button="left", clickCount=1)
        self.mouse("mouseReleased", x, y, button="left", clickCount=1)

    def wheel(self, x, y, delta_y):
        self.mouse("mouseWheel", x, y, deltaX=0, deltaY=delta_y)

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            if getattr(self, "ws", None) is not None:
                self.ws.close()
        finally:
            self.proc.kill()
            self.proc.wait(timeout=30)
