"""The latent-space page (gan_mnist.web): the folder write_page makes, and
the page itself in a real headless Chromium (tests marked slow).

The browser tests share one Chromium started in a network namespace of its
own (no network at all) that opens the page from file://, and one more
Chromium, with the network, for the page served by python -m http.server.
"""

import base64
import errno
import glob
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

import gan_mnist
from gan_mnist import web
from gan_mnist.errors import UsageError

from chromium import CHROMIUM, Chromium

GRID, SIDE, GAP, CELL = 259, 28, 5, 33
Z_SIZE = 128
INFO = {"source": "pretrained", "epochs": 100, "note": "tests/web <&> \"quoted\""}


def shipped_npz():
    """The path of the generator that ships inside the package."""
    root = os.path.dirname(os.path.abspath(gan_mnist.__file__))
    paths = sorted(glob.glob(os.path.join(root, "**", "pretrained_generator.npz"),
                             recursive=True))
    assert paths, f"no pretrained_generator.npz under {root}"
    return paths[0]


def shipped_weights():
    """G's six float32 weights from the shipped npz."""
    with np.load(shipped_npz(), allow_pickle=False) as z:
        return {n: z[n].astype(np.float32) for n in web.G_NAMES}


def to_gray(x):
    """The package's display pixels: (-1, 1) floats -> uint8."""
    return ((0.5 * np.clip(x, -1, 1) + 0.5) * 255).astype(np.uint8)


def cells(grid):
    """(259, 259) grid -> (64, 28, 28) images, row after row."""
    return np.stack([grid[r * CELL:r * CELL + SIDE, c * CELL:c * CELL + SIDE]
                     for r in range(8) for c in range(8)])


# ---- the folder (no browser) -------------------------------------------------

@pytest.fixture(scope="module")
def weights():
    return shipped_weights()


def listing(folder):
    return sorted(os.listdir(folder))


def test_writes_the_whole_folder(weights, tmp_path):
    index = web.write_page(weights, tmp_path / "page", INFO)
    assert index == str(tmp_path / "page" / "index.html")
    assert listing(tmp_path) == ["page"]  # no temporary folder left beside it
    assert listing(tmp_path / "page") == sorted(web.PAGE_FILES + (web.WEIGHTS_FILE,))
    html = (tmp_path / "page" / "index.html").read_text()
    for name in ("generator.js", "page.js", "page.css"):
        assert f'"{name}"' in html
    # Nothing is fetched from elsewhere: no http(s) address in any file.
    for name in web.PAGE_FILES:
        text = (tmp_path / "page" / name).read_text()
        assert "http:" not in text and "https:" not in text and "//cdn" not in text, name


def test_weights_script_holds_the_weights_and_info(weights, tmp_path):
    web.write_page(weights, tmp_path / "page", INFO)
    text = (tmp_path / "page" / "generator.js").read_text()
    prefix = f"window.{web.WEIGHTS_GLOBAL} = "
    body = text[text.index(prefix) + len(prefix):].rstrip().rstrip(";")
    doc = json.loads(body)
    assert doc["info"] == INFO
    assert doc["sizes"] == {"z": 128, "h1": 256, "h2": 512, "image": 784}
    for layer in doc["layers"]:
        got = np.frombuffer(base64.b64decode(layer["data"]), "<f4").reshape(layer["shape"])
        np.testing.assert_array_equal(got, weights[layer["name"]])
    size = os.path.getsize(tmp_path / "page" / "generator.js")
    print(f"generator.js: {size} bytes")
    # float32 base64 of 566,800 numbers, and little else.
    assert 3_020_000 < size < 3_040_000


def test_writes_into_an_empty_folder(weights, tmp_path):
    (tmp_path / "page").mkdir()
    web.write_page(weights, tmp_path / "page")
    assert listing(tmp_path) == ["page"]
    assert "index.html" in listing(tmp_path / "page")


def refusal(call, *args):
    with pytest.raises(UsageError) as err:
        call(*args)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_refuses_a_folder_that_is_not_empty(weights, tmp_path):
    target = tmp_path / "page"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    for call, args in ((web.check_target, (target,)),
                       (web.write_page, (weights, target, INFO))):
        message = refusal(call, *args)
        assert message.startswith(f"--web {target}: ") and "not empty" in message
    assert listing(tmp_path) == ["page"]
    assert listing(target) == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("case", ["file", "symlink", "no parent", "parent is a file"])
def test_refuses_other_bad_targets(weights, tmp_path, case):
    (tmp_path / "empty").mkdir()
    (tmp_path / "a-file").write_text("x")
    target = {"file": tmp_path / "a-file",
              "symlink": tmp_path / "link",
              "no parent": tmp_path / "missing" / "page",
              "parent is a file": tmp_path / "a-file" / "page"}[case]
    if case == "symlink":
        os.symlink(tmp_path / "empty", target)
    before = listing(tmp_path)
    message = refusal(web.write_page, weights, target)
    assert message.startswith(f"--web {target}: ")
    assert refusal(web.check_target, target) == message
    assert listing(tmp_path) == before
    assert listing(tmp_path / "empty") == []


def test_refuses_a_parent_it_cannot_write_in(weights, tmp_path, monkeypatch):
    # Root may write anywhere, so the refusal is made to happen by having
    # access(2) say no, as it does for another user's folder.
    monkeypatch.setattr(web.os, "access", lambda path, mode: False)
    message = refusal(web.write_page, weights, tmp_path / "page")
    assert message.startswith(f"--web {tmp_path / 'page'}: cannot write in")
    monkeypatch.undo()
    assert listing(tmp_path) == []


@pytest.mark.parametrize("info, error", [({"epochs": float("nan")}, ValueError),
                                         ({"when": object()}, TypeError)])
def test_bad_info_or_weights_write_nothing(weights, tmp_path, info, error):
    with pytest.raises(error):
        web.write_page(weights, tmp_path / "page", info)
    bad = dict(weights, g_b3=weights["g_b3"][:10])
    with pytest.raises(ValueError, match="g_b3"):
        web.write_page(bad, tmp_path / "page")
    assert listing(tmp_path) == []


def test_a_failed_write_leaves_nothing(tmp_path):
    # A file-size limit of 1 MB: index.html and the rest fit, generator.js
    # (3 MB) does not, so the write fails halfway through the folder.
    code = (
        "import resource, signal\n"
        "import numpy as np\n"
        "from gan_mnist import web\n"
        f"w = dict(np.load({shipped_npz()!r}))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))\n"
        "try:\n"
        f"    web.write_page(w, {str(tmp_path / 'page')!r})\n"
        "except OSError as e:\n"
        "    print('OSError', e.errno)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["OSError", str(errno.EFBIG)]
    assert listing(tmp_path) == []


# ---- the page in Chromium ------------------------------------------------------

def need_browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("GAN_MNIST_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing and GAN_MNIST_REQUIRE_BROWSER is set; "
                        f"apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); "
                    f"set GAN_MNIST_REQUIRE_BROWSER=1 to make this a failure")


def unshare_problem():
    """None if ``unshare --net`` works here, else why not."""
    try:
        out = subprocess.run(["unshare", "--net", "--", "true"], capture_output=True,
                             text=True, timeout=30)
    except OSError as e:
        return f"unshare cannot run ({e})"
    if out.returncode != 0:
        return f"unshare --net fails ({out.stderr.strip() or out.returncode}; it needs root)"
    return None


@pytest.fixture(scope="module")
def page_dir(weights, tmp_path_factory):
    return web.write_page(weights, tmp_path_factory.mktemp("web") / "page", INFO)


@pytest.fixture(scope="module")
def offline_problem():
    return unshare_problem()


@pytest.fixture(scope="module")
def browser(offline_problem):
    """Chromium with the page opened from file://; without any network when
    unshare allows it (``browser.offline`` says which)."""
    need_browser()
    b = Chromium(offline=offline_problem is None)
    b.offline = offline_problem is None
    yield b
    b.close()


def open_page(b, url):
    """Load the page at ``url`` and wait until it is drawn; fails on any
    JavaScript error. Returns the index of the first event of this load."""
    since = len(b.events)
    result = b.navigate(url)
    assert not result.get("errorText"), f"{url}: {result['errorText']}"
    deadline = time.monotonic() + 30
    while not b.evaluate("!!(window.ganMnist && window.ganMnist.ready)"):
        errors = [e for e in b.events[since:] if e["method"] == "Runtime.exceptionThrown"]
        assert not errors, errors[0]["params"]["exceptionDetails"]
        assert time.monotonic() < deadline, "the page never got ready"
        time.sleep(0.05)
    errors = [e for e in b.events[since:] if e["method"] == "Runtime.exceptionThrown"]
    assert not errors, errors[0]["params"]["exceptionDetails"]
    assert b.evaluate("document.getElementById('status').hidden")
    return since


@pytest.fixture
def page(browser, page_dir):
    """The browser with a fresh copy of the page loaded from file://."""
    open_page(browser, "file://" + page_dir)
    return browser


def page_forward(b, z):
    """The page's G on float32 noise (n, 128) -> (n, 784)."""
    flat = json.dumps([float(v) for v in z.ravel()])
    out = b.evaluate(f"Array.from(ganMnist.forward({flat}, {len(z)}))")
    return np.array(out, np.float32).reshape(len(z), 784)


def canvas(b, name):
    w, h = b.evaluate(f"[document.getElementById('{name}').width, "
                      f"document.getElementById('{name}').height]")
    return np.array(b.evaluate(f"ganMnist.pixels('{name}')"), np.uint8).reshape(h, w)


def center(b, selector):
    """Viewport CSS coordinates of the middle of an element."""
    x, y = b.evaluate(f"(() => {{ const r = document.querySelector({json.dumps(selector)})"
                      f".getBoundingClientRect(); return [r.x + r.width / 2, "
                      f"r.y + r.height / 2]; }})()")
    return x, y


def set_slider(b, ident, value):
    """Move a range input as a drag does: new value, then an input event."""
    b.evaluate(f"(() => {{ const s = document.getElementById('{ident}'); "
               f"s.value = '{value}'; s.dispatchEvent(new Event('input', "
               f"{{bubbles: true}})); }})()")


def mean_diff(x, y):
    return float(np.mean(np.abs(x.astype(np.int16) - y.astype(np.int16))))


@pytest.fixture(scope="module")
def tf_generator(weights):
    from gan_mnist.sampling import Generator
    gen = Generator(weights, averaged=True)
    yield gen
    gen.close()


@pytest.mark.slow
def test_forward_matches_the_package_generator(page, tf_generator):
    z = np.random.default_rng(1234).standard_normal((16, Z_SIZE)).astype(np.float32)
    got = page_forward(page, z)
    want = tf_generator(z)
    diff = float(np.max(np.abs(got - want)))
    print(f"largest difference, page vs Generator, 16x784 pixels: {diff:.3g}")
    assert got.shape == want.shape == (16, 784)
    assert diff <= 1e-3
    assert np.all(np.abs(got) <= 1)


@pytest.mark.slow
def test_grid_holds_64_distinct_digits(page, tf_generator):
    page.evaluate("ganMnist.drawGrid(3)")
    grid = canvas(page, "grid")
    assert grid.shape == (GRID, GRID)
    # The 5-pixel gaps are black.
    for k in range(1, 8):
        gap = slice(k * CELL - GAP, k * CELL)
        assert grid[gap, :].max() == 0 and grid[:, gap].max() == 0
    digits = cells(grid).reshape(64, -1)
    ink = (digits > 127).sum(axis=1)
    # a stroke, not a blank or a block: the MNIST test digits have 19 to 258
    # pixels above 127
    assert ink.min() >= 19 and ink.max() <= 400, ink
    # Pairwise clearly different. A copy of a cell, or a generator stuck on
    # one digit, gives pairs 0 apart; the closest pair of distinct samples
    # of the shipped generator (cells 28 and 46 for seed 3)
    # differs by 8.4 levels on average and by more than half the gray range
    # at 19 pixels; a typical pair differs by about 40 levels on average.
    diff = np.abs(digits[:, None, :].astype(np.int16) - digits[None, :, :])
    upper = np.triu_indices(64, 1)
    mean = diff.mean(axis=2)[upper]
    far = (diff > 127).sum(axis=2)[upper]
    closest = [(int(upper[0][k]), int(upper[1][k])) for k in (mean.argmin(), far.argmin())]
    print(f"closest pair of cells: {mean.min():.1f} levels apart on average, "
          f"{far.min()} pixels far apart (cells {closest})")
    assert mean.min() > 3 and far.min() >= 3, f"cells {closest} look alike"
    assert np.median(mean) > 25
    # The grid is G of the page's own noise for that seed, pixel for pixel
    # (a pixel may differ by one level where trunc meets rounding).
    z = np.array(page.evaluate("Array.from(ganMnist.noise(3))"), np.float32).reshape(64, Z_SIZE)
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1) < 0.05
    want = to_gray(tf_generator(z)).reshape(64, 28, 28)
    assert np.abs(cells(grid).astype(int) - want).max() <= 1
    # Another seed, another grid; the same seed, the same grid.
    page.evaluate("ganMnist.drawGrid(4)")
    assert mean_diff(canvas(page, "grid"), grid) > 20
    page.evaluate("ganMnist.drawGrid(3)")
    np.testing.assert_array_equal(canvas(page, "grid"), grid)


@pytest.mark.slow
def test_seed_typed_in_draws_its_grid(page):
    page.evaluate("ganMnist.drawGrid(11)")
    want = canvas(page, "grid")
    page.evaluate("ganMnist.drawGrid(1)")
    field = page.evaluate("(() => { const f = document.getElementById('seed'); f.focus(); "
                          "f.select(); return document.activeElement.id; })()")
    assert field == "seed"
    page.call("Input.insertText", text="11")
    page.click(*center(page, "#draw"))
    assert page.evaluate("ganMnist.state().seed") == 11
    np.testing.assert_array_equal(canvas(page, "grid"), want)


@pytest.mark.slow
def test_picked_pair_and_interpolation(page):
    page.evaluate("ganMnist.drawGrid(5)")
    grid = cells(canvas(page, "grid"))
    box = page.evaluate("(() => { const r = document.getElementById('grid')"
                        ".getBoundingClientRect(); return [r.x, r.y, r.width]; })()")
    scale = box[2] / GRID

    def click_cell(i):
        r, c = divmod(i, 8)
        page.click(box[0] + (c * CELL + 14) * scale, box[1] + (r * CELL + 14) * scale)

    click_cell(10)
    click_cell(45)
    state = page.evaluate("ganMnist.state()")
    assert (state["a"], state["b"]) == (10, 45)
    a, b = grid[10], grid[45]
    set_slider(page, "t", 0)
    np.testing.assert_array_equal(canvas(page, "mix"), a)
    set_slider(page, "t", 1)
    np.testing.assert_array_equal(canvas(page, "mix"), b)
    set_slider(page, "t", 0.5)
    middle = canvas(page, "mix")
    assert page.evaluate("document.getElementById('t-value').textContent") == "0.50"
    assert mean_diff(middle, a) > 5 and mean_diff(middle, b) > 5
    set_slider(page, "t", 0.3)
    assert mean_diff(canvas(page, "mix"), middle) > 1
    # The row of steps runs from A to B, and changes on the way.
    steps = canvas(page, "steps")
    assert steps.shape == (SIDE, GRID)
    row = [steps[:, k * CELL:k * CELL + SIDE] for k in range(8)]
    np.testing.assert_array_equal(row[0], a)
    np.testing.assert_array_equal(row[-1], b)
    assert all(mean_diff(row[k], row[k + 1]) > 0.5 for k in range(7))
    # The next click picks A again.
    click_cell(0)
    assert page.evaluate("ganMnist.state().a") == 0


@pytest.mark.slow
def test_direction_sliders_move_a(page):
    page.evaluate("ganMnist.drawGrid(5); ganMnist.pick('a', 20)")
    a = cells(canvas(page, "grid"))[20]
    np.testing.assert_array_equal(canvas(page, "moved"), a)
    seen = []
    for k in range(1, 5):
        set_slider(page, f"d{k}", 6)
        moved = canvas(page, "moved")
        assert mean_diff(moved, a) > 3, f"slider d{k} hardly changes the digit"
        assert page.evaluate(f"document.getElementById('d{k}-value').textContent") == "6.0"
        set_slider(page, f"d{k}", 0)
        seen.append(moved)
    for i in range(4):
        for j in range(i):
            assert mean_diff(seen[i], seen[j]) > 2, "two directions move A alike"
    set_slider(page, "d2", -5)
    set_slider(page, "d3", 4)
    assert page.evaluate("ganMnist.state().offsets") == [0, -5, 4, 0]
    page.click(*center(page, "#reset"))
    assert page.evaluate("ganMnist.state().offsets") == [0, 0, 0, 0]
    np.testing.assert_array_equal(canvas(page, "moved"), a)


@pytest.mark.slow
def test_save_button_downloads_a_png_of_the_grid(page, tmp_path):
    import imageio.v3 as iio
    page.evaluate("ganMnist.drawGrid(9)")
    grid = canvas(page, "grid")
    since = len(page.events)
    page.call("Browser.setDownloadBehavior", session=None, behavior="allow",
              downloadPath=str(tmp_path), eventsEnabled=True)
    page.click(*center(page, "#save"))
    done = page.wait_event("Browser.downloadProgress", since,
                           match=lambda p: p["state"] in ("completed", "canceled"))
    assert done["params"]["state"] == "completed"
    path = tmp_path / "gan-mnist-seed-9.png"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = iio.imread(io.BytesIO(data))
    assert image.shape[:2] == (GRID, GRID)
    np.testing.assert_array_equal(image[..., 0], grid)


@pytest.mark.slow
def test_page_shows_info_in_one_line(page):
    text, height, line = page.evaluate(
        "(() => { const e = document.getElementById('info'); return [e.textContent, "
        "e.getBoundingClientRect().height, parseFloat(getComputedStyle(e).lineHeight)]; })()")
    assert "source: pretrained" in text and "epochs: 100" in text
    assert 'tests/web <&> "quoted"' in text
    assert height < 1.5 * line
    assert page.evaluate("ganMnist.info") == INFO


@pytest.mark.slow
def test_other_layer_sizes(browser, tmp_path):
    # A checkpoint of other sizes (the sizes come from the weights): the page
    # reads them from generator.js.
    rng = np.random.default_rng(5)
    z_size, h1, h2 = 8, 16, 32
    w = {"g_w1": rng.normal(0, 0.5, (z_size, h1)), "g_b1": rng.normal(0, 0.1, h1),
         "g_w2": rng.normal(0, 0.3, (h1, h2)), "g_b2": rng.normal(0, 0.1, h2),
         "g_w3": rng.normal(0, 0.3, (h2, 784)), "g_b3": rng.normal(0, 0.1, 784)}
    w = {k: v.astype(np.float32) for k, v in w.items()}
    index = web.write_page(w, tmp_path / "small", {"source": "random"})
    open_page(browser, "file://" + index)
    assert browser.evaluate("ganMnist.sizes.z") == z_size
    z = rng.standard_normal((3, z_size)).astype(np.float32)
    got = page_forward(browser, z)
    h = np.maximum(z.astype(np.float64) @ w["g_w1"] + w["g_b1"], 0)
    h = np.maximum(h @ w["g_w2"] + w["g_b2"], 0)
    want = np.tanh(h @ w["g_w3"] + w["g_b3"])
    assert np.max(np.abs(got - want)) < 1e-5
    set_slider(browser, "d1", 3)
    assert browser.evaluate("ganMnist.state().offsets[0]") == 3


@pytest.fixture(scope="module")
def server(page_dir):
    """python -m http.server on 127.0.0.1 and a free port, serving the page."""
    folder = os.path.dirname(page_dir)
    for _ in range(5):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
             "--directory", folder, str(port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/index.html"
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        if proc.poll() is None and time.monotonic() < deadline:
            yield url
            proc.terminate()
            proc.wait(10)
            return
        proc.kill()
        proc.wait()
    pytest.fail("python -m http.server did not start")


@pytest.mark.slow
def test_works_from_file_url_without_network(browser, page_dir, server, offline_problem):
    if offline_problem:
        pytest.skip(f"cannot cut Chromium off the network: {offline_problem}")
    assert browser.offline
    # Chromium is in a network namespace of its own: even the server on our
    # 127.0.0.1 is out of its reach.
    ours = os.readlink("/proc/self/ns/net")
    assert os.readlink(f"/proc/{browser.proc.pid}/ns/net") != ours
    assert browser.navigate(server).get("errorText")
    since = open_page(browser, "file://" + page_dir)
    urls = browser.requested_urls(since)
    assert {u.rsplit("/", 1)[1] for u in urls} >= {"index.html", "generator.js", "page.js"}
    assert all(u.startswith("file://") for u in urls), urls
    grid = canvas(browser, "grid")
    assert (grid > 127).sum() > 64 * 40


@pytest.mark.slow
def test_works_served_by_http_server(server, weights, tf_generator):
    need_browser()
    with Chromium() as b:
        since = open_page(b, server)
        base = server.rsplit("/", 1)[0] + "/"
        urls = b.requested_urls(since)
        assert {u.rsplit("/", 1)[1] for u in urls} >= {"index.html", "generator.js", "page.js"}
        assert all(u.startswith(base) for u in urls), urls
        z = np.random.default_rng(99).standard_normal((4, Z_SIZE)).astype(np.float32)
        assert np.max(np.abs(page_forward(b, z) - tf_generator(z))) <= 1e-3
        assert (canvas(b, "grid") > 127).sum() > 64 * 40
