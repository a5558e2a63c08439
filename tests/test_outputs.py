"""What a trained checkpoint gives: generated sets, evaluation, pictures."""

import glob
import json
import os
import shutil

import numpy as np
import pytest
from skimage.io import imread

from gan_mnist import evaluate, generate, pictures, sampling, train, views
from gan_mnist.metrics import FIGURES
from gan_mnist._tf import tf
from gan_mnist.metrics_csv import read_rows

from test_train import DATA, run, small_hp


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 2-epoch run of small layers with an evaluation after epoch 2."""
    folder = tmp_path_factory.mktemp("run")
    run(small_hp(folder, eval_every=2, eval_num=200))
    return folder


@pytest.fixture
def run_copy(tiny_run, tmp_path):
    """A copy of ``tiny_run`` for a test that writes into its run folder, so
    that no test changes what the others read."""
    return shutil.copytree(tiny_run, tmp_path / "run")


def test_eval_every_adds_figures_to_metrics_csv(tiny_run):
    rows = read_rows(tiny_run / "metrics.csv")
    assert "fid" not in rows[0]
    for key in FIGURES:
        assert np.isfinite(rows[1][key]), key
    assert rows[1]["fid"] > 0 and 1 <= rows[1]["mnist_score"] <= 10


def test_views_follow_the_run(tiny_run):
    losses = imread(tiny_run / "losses.png")
    assert losses.shape[0] > 200 and losses.shape[1] > 4 * 300  # 4 panels
    gif = imread(tiny_run / "progress.gif")
    assert gif.shape[1:3] == (259, 259)
    (events,) = glob.glob(str(tiny_run / "logs" / "events.out.tfevents.*"))
    tags = {}
    for e in tf.compat.v1.train.summary_iterator(events):
        for v in e.summary.value:
            tags.setdefault(v.tag, []).append(e.step)
    assert tags["d_loss"] == [0, 1] and tags["fid"] == [1]
    assert tags["samples (fixed noise)"] == [0, 1]


def test_views_command_rebuilds_the_pictures(run_copy, capsys):
    os.remove(run_copy / "losses.png")
    os.remove(run_copy / "progress.gif")
    views.main(["--output", str(run_copy)])
    assert os.path.exists(run_copy / "losses.png")
    assert os.path.exists(run_copy / "progress.gif")
    with pytest.raises(SystemExit) as e:
        views.main(["--output", str(run_copy / "nowhere")])
    assert e.value.code == 2


def test_gif_frames_are_spaced_and_end_with_the_newest(tmp_path):
    for e in range(250):
        (tmp_path / f"sample{e}.jpg").write_bytes(b"")
    frames = pictures.sample_frames(str(tmp_path), max_frames=100)
    assert len(frames) == 100
    assert frames[0].endswith("sample0.jpg") and frames[-1].endswith("sample249.jpg")


def test_resumed_run_marks_its_restart_for_tensorboard(tmp_path):
    run(small_hp(tmp_path, max_epoch=1))
    run(small_hp(tmp_path, max_epoch=2), restore=True)
    logs = sorted(glob.glob(str(tmp_path / "logs" / "*")))
    assert len(logs) == 2
    starts = [e.step for e in tf.compat.v1.train.summary_iterator(logs[1])
              if e.HasField("session_log")]
    assert starts == [1]


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


def test_interpolation_noise_walks_straight_lines():
    z = sampling.interpolation_noise(3, 5, 4, seed=1).reshape(3, 5, 4)
    np.testing.assert_allclose(z[:, 2], (z[:, 0] + z[:, 4]) / 2, atol=1e-6)
    assert not np.allclose(z[0, 0], z[1, 0])


@pytest.mark.parametrize("args, words", [
    (["--num", "0"], "--num 0"),
    (["--out", "x.gif"], "x.gif"),
    (["--output", "/nonexistent/run"], "no checkpoint"),
    (["--checkpoint", "/nonexistent/model-3"], "model-3.index"),
    (["--num", "many"], "--num"),
    (["--no-such-flag"], "--no-such-flag"),
])
def test_generate_bad_input(capsys, args, words):
    argv = ["--out", "x.png"] + args if "--out" not in args else args
    with pytest.raises(SystemExit) as e:
        generate.main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and words in err and err.count("\n") == 1


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
    from gan_mnist import rundir
    assert rundir.is_run_file("model-2.eval.json")
    assert rundir.is_run_file("model-2.raw.eval.json")
    assert not rundir.is_run_file("model-2.notes.eval.json")
    assert rundir.is_run_file("losses.png") and rundir.is_run_file("progress.gif")
    s = rundir.survey(str(run_copy))
    assert s.foreign == [] and s.doubtful == [] and "logs" in s.own
    os.makedirs(run_copy / "logs" / "mine")
    assert rundir.survey(str(run_copy)).doubtful == [("logs", "holds 'mine', a dir")]


def test_help_of_every_command(capsys):
    for main in (generate.main, evaluate.main, views.main, train.main):
        with pytest.raises(SystemExit) as e:
            main(["--help"])
        assert e.value.code == 0
    assert "--eval-every" in capsys.readouterr().out


def test_every_command_answers_an_unknown_flag_in_one_line(capsys):
    for main, argv in ((generate.main, ["--out", "x.png"]), (evaluate.main, []),
                       (views.main, []), (train.main, [])):
        with pytest.raises(SystemExit) as e:
            main([*argv, "--bogus-flag"])
        err = capsys.readouterr().err
        assert e.value.code == 2 and err.count("\n") == 1
        assert "--bogus-flag" in err and "usage:" not in err
