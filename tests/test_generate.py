"""The generate command: grids, .npz, interpolation, bad input."""

import numpy as np
import pytest
from conftest import first_ids
from skimage.io import imread

from gan_mnist import generate


@pytest.mark.slow
def test_generate_grid_npz_and_interpolation(tiny_run, tmp_path):
    generate.main(["--output", str(tiny_run), "--num", "20", "--out",
                   str(tmp_path / "g.png")])
    assert imread(tmp_path / "g.png").shape == (4 * 28 + 15, 5 * 28 + 20)
    generate.main(["--output", str(tiny_run), "--num", "30", "--out",
                   str(tmp_path / "s.npz"), "--seed", "4"])
    a = np.load(tmp_path / "s.npz")["images"]
    assert a.shape == (30, 28, 28) and a.dtype == np.uint8
    generate.main(["--checkpoint", str(tiny_run / "model-2"), "--num", "30",
                   "--out", str(tmp_path / "t.npz"), "--seed", "4"])
    assert np.array_equal(a, np.load(tmp_path / "t.npz")["images"])
    generate.main(["--output", str(tiny_run), "--interpolate", "--num", "24",
                   "--steps", "6", "--out", str(tmp_path / "walk.npz")])
    walk = np.load(tmp_path / "walk.npz")["images"].astype(float)
    assert walk.shape == (24, 28, 28)
    # neighbours along a walk are closer than the walk's two ends
    row = walk[:6]
    assert np.abs(row[1] - row[0]).mean() < np.abs(row[5] - row[0]).mean()


BAD_INPUT = [
    (["--num", "0"], "--num 0"),
    (["--out", "x.gif"], "x.gif"),
    (["--output", "/nonexistent/run"], "no checkpoint"),
    (["--checkpoint", "/nonexistent/model-3"], "model-3.index"),
    (["--num", "many"], "--num"),
    (["--no-such-flag"], "--no-such-flag"),
]


@pytest.mark.parametrize("args, words", BAD_INPUT, ids=first_ids(BAD_INPUT))
def test_generate_bad_input(capsys, args, words):
    argv = ["--out", "x.png"] + args if "--out" not in args else args
    with pytest.raises(SystemExit) as e:
        generate.main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and words in err and err.count("\n") == 1
