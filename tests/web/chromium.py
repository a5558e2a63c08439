"""A small driver for headless Chromium over the DevTools protocol, from
Python's standard library alone.

Chromium started with ``--remote-debugging-pipe`` reads commands from its
file descriptor 3 and writes replies and events to descriptor 4, each a JSON
text ended by a NUL byte. ``Chromium`` starts the browser with two pipes on
those descriptors, opens one page and attaches to it (a "flat" session, so
page commands go over the same pipe with a ``sessionId``).

    with Chromium() as browser:
        browser.navigate("file:///tmp/page/index.html")
        browser.evaluate("document.title")
"""

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

CHROMIUM = "/usr/bin/chromium"
# Flags that run as root in a container without a display or a GPU, and
# keep the browser from calling home (updates, sync, field trials).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--no-default-browser-check",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-extensions", "--mute-audio",
         "--disable-dev-shm-usage"]


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, died, or timed out."""


class Chromium:
    """One headless Chromium with one page attached.

    ``offline=True`` starts it under ``unshare --net``: in a network
    namespace of its own, which holds only a loopback device that is down,
    so no address, local or remote, can be reached. ``events`` keeps every
    event received ({"method", "params"} dicts), newest last.
    """

    def __init__(self, offline=False, width=1280, height=900, timeout=60):
        self.timeout = timeout
        self.events = []
        self._replies = {}
        self._cond = threading.Condition()
        self._next_id = 0
        self._dead = None
        self.profile = tempfile.mkdtemp(prefix="gan-mnist-chromium-")
        cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={self.profile}",
               f"--window-size={width},{height}", "--remote-debugging-pipe",
               "about:blank"]
        if offline:
            cmd = ["unshare", "--net", "--", *cmd]
        cmd_in, self._to_browser = os.pipe()
        self._from_browser, reply_out = os.pipe()
        # The child must find the pipes on descriptors 3 and 4 exactly. Copy
        # them above 10 first so that neither dup2 can clobber the other
        # (os.pipe may itself have returned 3 or 4); dup2's copies are
        # inheritable, and close_fds=False keeps them through exec.
        def pipes_on_3_and_4():
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (cmd_in, reply_out)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)
        self.proc = subprocess.Popen(
            cmd, preexec_fn=pipes_on_3_and_4, close_fds=False,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        os.close(cmd_in)
        os.close(reply_out)
        self._stderr = []
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self._read_replies, daemon=True).start()
        try:
            target = self._wait_page()
            self.session = self.call("Target.attachToTarget", targetId=target,
                                     flatten=True, session=None)["sessionId"]
            for domain in ("Page", "Runtime", "Network"):
                self.call(f"{domain}.enable")
            self.call("Emulation.setDeviceMetricsOverride", width=width,
                      height=height, deviceScaleFactor=1, mobile=False)
        except Exception:
            self.close()
            raise

    # -- the pipe ----------------------------------------------------------

    def _read_stderr(self):
        for line in self.proc.stderr:
            self._stderr.append(line.decode("utf-8", "replace").rstrip())
            del self._stderr[:-40]

    def _read_replies(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            *messages, buf = buf.split(b"\0")
            for raw in messages:
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self._cond.notify_all()
        with self._cond:
            self._dead = "Chromium closed its pipe"
            self._cond.notify_all()

    def call(self, method, session=..., timeout=None, **params):
        """Send a command and return its ``result``; the page's session
        unless ``session`` says otherwise (None: the browser itself)."""
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        msg = {"id": ident, "method": method, "params": params}
        session = getattr(self, "session", None) if session is ... else session
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            os.write(self._to_browser, data)
        except OSError as e:
            raise BrowserError(f"{method}: cannot write to Chromium ({e}); "
                               f"{self.stderr_tail()}") from None
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while ident not in self._replies:
                left = deadline - time.monotonic()
                if self._dead or left <= 0:
                    why = self._dead or f"no reply within {timeout or self.timeout} s"
                    raise BrowserError(f"{method}: {why}; {self.stderr_tail()}")
                self._cond.wait(left)
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method, since=0, timeout=None, match=None):
        """The first event named ``method`` at index >= ``since`` of
        ``events`` (for which ``match(params)`` holds, if given)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cond:
            while True:
                for ev in self.events[since:]:
                    if ev["method"] == method and (match is None or match(ev["params"])):
                        return ev
                left = deadline - time.monotonic()
                if self._dead or left <= 0:
                    raise BrowserError(f"no {method} event; {self._dead or 'timed out'}")
                self._cond.wait(left)

    def stderr_tail(self):
        return "Chromium's stderr ends: " + " | ".join(self._stderr[-5:])

    def _wait_page(self):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            targets = self.call("Target.getTargets", session=None)["targetInfos"]
            pages = [t for t in targets if t["type"] == "page"]
            if pages:
                return pages[0]["targetId"]
            time.sleep(0.05)
        raise BrowserError("Chromium opened no page")

    # -- what the tests use ------------------------------------------------

    def navigate(self, url, timeout=None):
        """Load ``url`` and wait for its load event. Returns Page.navigate's
        result; its ``errorText`` is set when the page could not be had."""
        since = len(self.events)
        result = self.call("Page.navigate", url=url)
        if not result.get("errorText"):
            self.wait_event("Page.loadEventFired", since, timeout)
        return result

    def evaluate(self, expression, timeout=None):
        """The value of a JavaScript expression (a promise is awaited),
        by value; a thrown error becomes BrowserError."""
        result = self.call("Runtime.evaluate", expression=expression,
                           awaitPromise=True, returnByValue=True, timeout=timeout)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"JavaScript error: {text}")
        return result["result"].get("value")

    def click(self, x, y):
        """A left click at CSS pixel (x, y) of the viewport."""
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y,
                      button="left", clickCount=1)

    def screenshot(self):
        """PNG bytes of the viewport."""
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])

    def requested_urls(self, since=0):
        """URLs the page asked the network stack for, from ``since`` on."""
        return [ev["params"]["request"]["url"] for ev in self.events[since:]
                if ev["method"] == "Network.requestWillBeSent"]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.call("Browser.close", session=None, timeout=5)
            except BrowserError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
