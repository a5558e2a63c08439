"""A screenshot of the latent-space page (gan_mnist.web) for the docs.

Writes the page for the shipped generator into a temporary folder, opens
it in headless Chromium (/usr/bin/chromium, driven by the tests' driver,
tests/web/chromium.py), draws the grid of a seed, picks two digits with
mouse clicks, moves the interpolation slider and two direction sliders,
and saves the viewport as a PNG:

    python scripts/shipped/page_screenshot.py            # docs/latent-page.png
    python scripts/shipped/page_screenshot.py --out x.png --seed 7
"""

import argparse
import glob
import importlib.util
import json
import os
import shutil
import tempfile
import time

import numpy as np

import gan_mnist
from gan_mnist import web
from gan_mnist.fileio import write_bytes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WIDTH = 1200


def load_driver():
    """tests/web/chromium.py, the one Chromium driver of the project (over
    --remote-debugging-pipe), loaded from its file."""
    spec = importlib.util.spec_from_file_location(
        "chromium", os.path.join(ROOT, "tests", "web", "chromium.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


def screenshot(out, seed, pick_a, pick_b):
    weights, info = shipped_generator()
    work = tempfile.mkdtemp(prefix="gan-mnist-page-")
    try:
        index = web.write_page(weights, os.path.join(work, "page"), info)
        with load_driver().Chromium(offline=False, width=WIDTH, height=900) as page:
            page.navigate("file://" + index)
            for _ in range(600):
                if page.evaluate("!!(window.ganMnist && window.ganMnist.ready)"):
                    break
                time.sleep(0.05)
            else:
                raise RuntimeError("the page did not get ready")
            page.evaluate(f"ganMnist.drawGrid({seed})")
            x0, y0, width = page.evaluate(
                "(() => { const r = document.getElementById('grid')"
                ".getBoundingClientRect(); return [r.x, r.y, r.width]; })()")
            scale = width / 259
            for cell in (pick_a, pick_b):
                row, col = divmod(cell, 8)
                page.click(x0 + (col * 33 + 14) * scale, y0 + (row * 33 + 14) * scale)
            for ident, value in (("t", 0.45), ("d1", 3.5), ("d3", -2.5)):
                page.evaluate(f"(() => {{ const s = document.getElementById('{ident}'); "
                              f"s.value = '{value}'; s.dispatchEvent(new Event('input')); }})()")
            height = page.evaluate("Math.ceil(document.querySelector('main')"
                                   ".getBoundingClientRect().bottom) + 24")
            page.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height,
                      deviceScaleFactor=1, mobile=False)
            png = page.screenshot()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    write_bytes(out, png)
    print(f"wrote {out} ({len(png)} bytes, {WIDTH}x{height})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "latent-page.png"))
    p.add_argument("--seed", type=int, default=3, help="the grid's seed (default 3)")
    p.add_argument("--pick", type=int, nargs=2, default=(13, 44), metavar=("A", "B"),
                   help="the cells (0-63, row after row) clicked for A and B")
    args = p.parse_args()
    screenshot(args.out, args.seed, *args.pick)


if __name__ == "__main__":
    main()
