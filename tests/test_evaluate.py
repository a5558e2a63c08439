"""The evaluate command: its table, its JSON and bad input."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from conftest import DATA, ROOT, first_ids

from gan_mnist import evaluate
from gan_mnist.data import load_mnist
from gan_mnist.measure import scoring
from gan_mnist.measure.figures import FIGURES
from gan_mnist.rundir import names, survey


@pytest.mark.slow
def test_evaluate_a_checkpoint_writes_json_beside_it(run_copy, capsys):
    status = evaluate.main(["--output", str(run_copy), "--num", "300",
                            "--data-dir", DATA])
    assert status == 0
    out = capsys.readouterr().out
    assert "FID" in out and "real floor" in out
    figures = json.loads((run_copy / "model-2.eval.json").read_text())
    assert set(FIGURES) | {"class_histogram", "floor"} <= set(figures)
    assert figures["num_images"] == 300 == sum(figures["class_histogram"])
    # the floor: real training images score near 10 and sit close to the test set
    assert figures["floor"]["mnist_score"] > 9.5
    assert figures["floor"]["fid"] < figures["fid"]


def test_evaluation_files_count_as_the_runs(run_copy):
    assert names.is_run_file("model-2.eval.json")
    assert names.is_run_file("model-2.raw.eval.json")
    assert not names.is_run_file("model-2.notes.eval.json")
    assert names.is_run_file("losses.png") and names.is_run_file("progress.gif")
    s = survey.survey(str(run_copy))
    assert s.foreign == [] and s.doubtful == [] and "logs" in s.own
    os.makedirs(run_copy / "logs" / "mine")
    assert survey.survey(str(run_copy)).doubtful == [("logs", "holds 'mine', a dir")]


def run_cli(argv, capsys, floor=False):
    """Run ``main(argv)`` (without the real-data floor unless asked: it
    costs 10000 classifier passes); return (exit status, stdout, stderr)."""
    try:
        status = evaluate.main(argv + ([] if floor else ["--no-floor"]))
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_on_500_real_images_writes_json(tmp_path, capsys):
    images, _ = load_mnist(DATA, "train", limit=500)
    path = tmp_path / "real.npz"
    np.savez(path, images=images)
    out_json = tmp_path / "figures.json"
    status, out, err = run_cli(["--images", str(path), "--json",
                                str(out_json), "--data-dir", DATA], capsys)
    assert status == 0, err
    figures = json.loads(out_json.read_text())
    assert set(figures) >= {"fid", "mnist_score", "class_kl", "precision",
                            "recall", "class_histogram"}
    assert figures["num_images"] == 500 == sum(figures["class_histogram"])
    assert figures["mnist_score"] > 9 and figures["class_kl"] < 0.05
    assert figures["precision"] > 0.6 and figures["recall"] > 0.3
    assert "FID" in out and "digit counts" in out


def test_cli_takes_flat_floats_in_npy_and_caps_count(tmp_path, capsys):
    images, _ = load_mnist(DATA, "train", limit=300)
    path = tmp_path / "flat.npy"
    np.save(path, (images.reshape(300, 784) / 127.5 - 1).astype(np.float32))
    out_json = tmp_path / "figures.json"
    status, _, err = run_cli(["--images", str(path), "--num", "100", "--json",
                              str(out_json), "--data-dir", DATA], capsys)
    assert status == 0, err
    assert json.loads(out_json.read_text())["num_images"] == 100


def write_input(path, content):
    """Write ``content`` to ``path``: bytes as they are, a list of arrays as
    an .npz, an array as an .npy; None writes nothing (a missing file)."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, list):
        np.savez(path, *content)
    elif content is not None:
        np.save(path, content)
    return str(path)


BAD_FILES = [
    ("missing.npz", None, "no such file"),
    ("garbage.npy", b"not an array", "not an .npy or .npz file"),
    ("empty.npz", [], "holds no array"),
    ("shape.npz", [np.zeros((20, 28, 20), np.uint8)], "shape"),
    ("dtype.npy", np.zeros((20, 28, 28), np.int64), "dtype"),
    ("range.npy", np.full((20, 784), 2.0, np.float32), r"\[-1, 1\]"),
    ("few.npy", np.zeros((2, 28, 28), np.uint8), "at least 4"),
    ("scalar.npy", np.float32(0.5), "single value"),
]


@pytest.mark.parametrize("name, content, match", BAD_FILES, ids=first_ids(BAD_FILES))
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, name, content,
                                             match):
    path = write_input(tmp_path / name, content)
    status, _, err = run_cli(["--images", path, "--data-dir", DATA],
                             capsys)
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("python -m gan_mnist.evaluate: error: ")
    assert re.search(match, err), err


def test_cli_bad_num_data_dir_and_json_exit_2(tmp_path, capsys):
    path = write_input(tmp_path / "ok.npy", np.zeros((20, 28, 28), np.uint8))
    status, _, err = run_cli(["--images", path, "--num", "0"], capsys)
    assert status == 2 and "--num 0" in err and err.count("\n") == 1
    status, _, err = run_cli(["--images", path, "--data-dir",
                              str(tmp_path / "nowhere")], capsys)
    assert status == 2 and "nowhere" in err and err.count("\n") == 1
    status, _, err = run_cli(["--images", path, "--json",
                              str(tmp_path / "no" / "f.json")], capsys)
    assert status == 2 and "--json" in err and err.count("\n") == 1


def test_cli_as_a_module_exits_2_on_a_missing_file(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "gan_mnist.evaluate", "--images",
         str(tmp_path / "none.npz")], cwd=ROOT, capture_output=True,
        text=True, timeout=120)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "none.npz" in out.stderr


def test_format_table_shows_floor_column():
    results = {"fid": 12.5, "mnist_score": 8.1, "class_kl": 0.2,
               "precision": 0.7, "recall": 0.4, "num_images": 10,
               "class_histogram": [1] * 10}
    floor = dict(results, fid=0.9, class_histogram=[2] * 10)
    table = scoring.format_table(results, floor)
    assert "real floor" in table and "12.500" in table and "0.900" in table
    assert "real floor" not in scoring.format_table(results)
