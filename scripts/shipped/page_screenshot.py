"""A screenshot of the latent-space page (gan_mnist.web) for the docs.

Writes the page for the shipped generator into a temporary folder, opens
it in headless Chromium (/usr/bin/chromium, driven over
--remote-debugging-pipe), draws the grid of a seed, picks two digits with
mouse clicks, moves the interpolation slider and two direction sliders,
and saves the viewport as a PNG:

    python scripts/shipped/page_screenshot.py            # docs/latent-page.png
    python scripts/shipped/page_screenshot.py --out x.png --seed 7
"""

import argparse
import base64
import fcntl
import glob
import json
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np

import gan_mnist
from gan_mnist import web
from gan_mnist.fileio import write_bytes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions",
         "--hide-scrollbars"]
WIDTH = 1200


class Pipe:
    """DevTools commands over Chromium's descriptors 3 (in) and 4 (out),
    NUL-terminated JSON; one command at a time, events ignored."""

    def __init__(self, chromium, profile):
        cmd_in, self.w = os.pipe()
        self.r, reply_out = os.pipe()

        def pipes_on_3_and_4():
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (cmd_in, reply_out)]
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)
        self.proc = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe",
             "about:blank"], preexec_fn=pipes_on_3_and_4, close_fds=False,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_in)
        os.close(reply_out)
        self.buf, self.ident, self.session = b"", 0, None

    def call(self, method, **params):
        self.ident += 1
        msg = {"id": self.ident, "method": method, "params": params}
        if self.session and not method.startswith(("Target.", "Browser.")):
            msg["sessionId"] = self.session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        while True:
            while b"\0" not in self.buf:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"{method}: Chromium closed its pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.ident:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def js(self, expression):
        result = self.call("Runtime.evaluate", expression=expression,
                           awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, x, y):
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y,
                      button="left", clickCount=1)

    def close(self):
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.w)
        os.close(self.r)


def shipped_generator():
    """(weights, info) of the generator that ships inside the package."""
    root = os.path.dirname(os.path.abspath(gan_mnist.__file__))
    path = sorted(glob.glob(os.path.join(root, "**", "pretrained_generator.npz"),
                            recursive=True))[0]
    with np.load(path, allow_pickle=False) as z:
        weights = {n: z[n].astype(np.float32) for n in web.G_NAMES}
        made = json.loads(str(z["info"])) if "info" in z.files else {}
    info = {"source": "the pretrained generator"}
    for key in ("recipe", "epochs"):
        if key in made:
            info[key] = made[key]
    if "fid" in made.get("evaluation", {}):
        info["FID"] = round(made["evaluation"]["fid"], 2)
    return weights, info


def screenshot(out, seed, pick_a, pick_b, chromium):
    weights, info = shipped_generator()
    work = tempfile.mkdtemp(prefix="gan-mnist-page-")
    pipe = None
    try:
        index = web.write_page(weights, os.path.join(work, "page"), info)
        profile = os.path.join(work, "profile")
        os.mkdir(profile)
        pipe = Pipe(chromium, profile)
        target = next(t["targetId"] for t in pipe.call("Target.getTargets")["targetInfos"]
                      if t["type"] == "page")
        pipe.session = pipe.call("Target.attachToTarget", targetId=target,
                                 flatten=True)["sessionId"]
        pipe.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=900,
                  deviceScaleFactor=1, mobile=False)
        pipe.call("Page.navigate", url="file://" + index)
        for _ in range(600):
            if pipe.js("!!(window.ganMnist && window.ganMnist.ready)"):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the page did not get ready")
        pipe.js(f"ganMnist.drawGrid({seed})")
        x0, y0, width = pipe.js("(() => { const r = document.getElementById('grid')"
                                ".getBoundingClientRect(); return [r.x, r.y, r.width]; })()")
        scale = width / 259
        for cell in (pick_a, pick_b):
            row, col = divmod(cell, 8)
            pipe.click(x0 + (col * 33 + 14) * scale, y0 + (row * 33 + 14) * scale)
        for ident, value in (("t", 0.45), ("d1", 3.5), ("d3", -2.5)):
            pipe.js(f"(() => {{ const s = document.getElementById('{ident}'); "
                    f"s.value = '{value}'; s.dispatchEvent(new Event('input')); }})()")
        height = pipe.js("Math.ceil(document.querySelector('main').getBoundingClientRect().bottom) + 24")
        pipe.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height,
                  deviceScaleFactor=1, mobile=False)
        png = base64.b64decode(pipe.call("Page.captureScreenshot", format="png")["data"])
    finally:
        if pipe:
            pipe.close()
        shutil.rmtree(work, ignore_errors=True)
    write_bytes(out, png)
    print(f"wrote {out} ({len(png)} bytes, {WIDTH}x{height})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "latent-page.png"))
    p.add_argument("--seed", type=int, default=3, help="the grid's seed (default 3)")
    p.add_argument("--pick", type=int, nargs=2, default=(13, 44), metavar=("A", "B"),
                   help="the cells (0-63, row after row) clicked for A and B")
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args()
    screenshot(args.out, args.seed, *args.pick, args.chromium)


if __name__ == "__main__":
    main()
