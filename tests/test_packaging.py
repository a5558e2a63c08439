"""What a user gets from ``pip install .``: the wheel's files, and the
commands working from a folder that is not the clone."""

import json
import os
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT, user_env

from gan_mnist.sampling import pretrained

pytestmark = pytest.mark.slow


def test_the_wheel_carries_the_mnist_files_the_weights_and_the_page(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), ROOT],
                   check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("gan_mnist-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for name in os.listdir(os.path.join(ROOT, "MNIST_data")):
            with open(os.path.join(ROOT, "MNIST_data", name), "rb") as f:
                assert z.read(f"gan_mnist/mnist_data/{name}") == f.read(), name
    assert {"gan_mnist/measure/classifier_weights.npz",
            "gan_mnist/sampling/pretrained_generator.npz",
            "gan_mnist/web/page/index.html", "gan_mnist/web/page/page.js"} <= names
    assert not any(n.startswith(("tests/", "scripts/", "MNIST_data/")) for n in names)
    print(f"wheel: {wheel.stat().st_size} bytes")
    assert wheel.stat().st_size < 20e6


def _command(cwd, *args):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=user_env(),
                          capture_output=True, text=True, timeout=600)


def test_from_an_empty_folder_train_evaluate_and_export_work(tmp_path):
    """No ./MNIST_data, no clone: the packaged files serve, and say so first."""
    r = _command(tmp_path, "gan_mnist.train", "--max-epoch", "1", "--limit", "512",
                 "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].startswith("data: no ./MNIST_data here")
    assert os.path.exists(tmp_path / "output" / "model-1.index")

    r = _command(tmp_path, "gan_mnist.evaluate", "--pretrained", "--num", "10000",
                 "--seed", "0", "--json", "figures.json")
    assert r.returncode == 0, r.stderr
    assert r.stderr.splitlines()[0].startswith("data: no ./MNIST_data here")
    # one line per stage where stderr is not a terminal
    assert any(line.startswith("classifying 10000 images: ") for line in r.stderr.splitlines())
    got = json.loads((tmp_path / "figures.json").read_text())
    for key, value in pretrained.load()[1]["evaluation"].items():
        assert got[key] == pytest.approx(value, rel=1e-5), key
    r = _command(tmp_path, "gan_mnist.export", "--pretrained", "--web", "page")
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(tmp_path / "page" / "generator.js") > 1e6
