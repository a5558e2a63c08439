"""Training: the command, its files, resume, interruption and bad input."""

import io
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from skimage.io import imread

from gan_mnist import (checkpoints, config, grid, preflight, reference, rundir,
                       streams, train, training)
from gan_mnist.interrupt import Stopped
from gan_mnist.train_graph import build_train_graph
from gan_mnist._tf import tf, v1
from gan_mnist.errors import UsageError
from gan_mnist.metrics_csv import read_rows

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "MNIST_data")


def small_hp(folder, **kw):
    """Real MNIST, 256 images, small layers: an epoch takes milliseconds."""
    base = dict(batch_size=32, h1_size=32, h2_size=64, z_size=16,
                learning_rate=1e-3, data_dir=DATA, output=str(folder), seed=7,
                limit=256, max_epoch=2)
    base.update(kw)
    return config.HParams(**base)


def run(hp, restore=False):
    out = io.StringIO()
    training.train(preflight.prepare(hp, restore), out=out)
    return out.getvalue()


def checkpoint_values(prefix):
    reader = tf.train.load_checkpoint(prefix)
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


def assert_same_checkpoints(a, b):
    va, vb = checkpoint_values(a), checkpoint_values(b)
    assert sorted(va) == sorted(vb)
    for name in va:
        assert np.array_equal(va[name], vb[name]), name


def snapshot(folder):
    return {n: os.path.getmtime(os.path.join(folder, n)) for n in os.listdir(folder)}


def _env():
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # as a user has it
    return env


def cli(*args, **kw):
    env = _env()
    return subprocess.run([sys.executable, "-m", "gan_mnist.train", *args],
                          capture_output=True, text=True, cwd=kw.get("cwd", ROOT),
                          env=env, timeout=300)


# ------------------------------------------------------------ end to end ---

def test_command_end_to_end_with_the_seeds_sizes(tmp_path):
    out = tmp_path / "output"
    r = cli("--output", str(out), "--limit", "512", "--max-epoch", "2", "--seed", "1")
    assert r.returncode == 0, r.stderr
    names = set(os.listdir(out))
    for n in ("sample0.jpg", "sample1.jpg", "random_sample0.jpg",
              "random_sample1.jpg", "model-1.index", "model-2.index",
              "model-2.meta", "checkpoint", "metrics.csv", "config.json",
              "fixed_noise.npy"):
        assert n in names
    img = imread(out / "sample1.jpg")
    assert img.shape == (259, 259) and img.dtype == np.uint8
    assert img[28:33, :].max() < 40  # the 5 px gap between rows stays dark
    rows = read_rows(out / "metrics.csv")
    assert [r["epoch"] for r in rows] == [0, 1]
    assert all(np.isfinite(r[k]) for r in rows for k in ("d_loss", "g_loss"))
    lines = r.stdout.splitlines()
    assert sum(line.startswith("epoch ") and "D(G(z))" in line for line in lines) == 2
    assert "[[" not in r.stdout and len(r.stdout) < 2000  # never whole arrays
    assert config.load(str(out)) == config.HParams(
        max_epoch=2, output=str(out), seed=1, limit=512)
    assert tf.train.load_checkpoint(str(out / "model-2")).get_tensor("global_step") == 2


def test_help_lists_every_flag_with_its_default():
    r = cli("--help")
    assert r.returncode == 0
    for flag in ("--max-epoch", "--batch-size", "--h1-size", "--h2-size",
                 "--z-size", "--learning-rate", "--keep-prob", "--data-dir",
                 "--output", "--seed", "--restore", "--shuffle"):
        assert flag in r.stdout
    assert "(default: 500)" in r.stdout and "(default: 0.7)" in r.stdout


# --------------------------------------------------------------- resume ---

@pytest.mark.parametrize("options", [{}, {"shuffle": True}, {"g_average": 0.9}])
def test_resume_is_bit_identical(tmp_path, options):
    run(small_hp(tmp_path / "a", **options))
    run(small_hp(tmp_path / "b", max_epoch=1, **options))
    log = run(small_hp(tmp_path / "b", max_epoch=2, **options), restore=True)
    assert "restored" in log
    assert_same_checkpoints(tmp_path / "a" / "model-2", tmp_path / "b" / "model-2")
    ra, rb = read_rows(tmp_path / "a" / "metrics.csv"), read_rows(tmp_path / "b" / "metrics.csv")
    assert [r["g_loss"] for r in ra] == [r["g_loss"] for r in rb]
    # the fixed noise, and so the sample grids, carry over
    assert np.array_equal(np.load(tmp_path / "a" / "fixed_noise.npy"),
                          np.load(tmp_path / "b" / "fixed_noise.npy"))


def test_seed_changes_the_run_and_shuffle_changes_the_order(tmp_path):
    run(small_hp(tmp_path / "a", max_epoch=1))
    run(small_hp(tmp_path / "b", max_epoch=1, seed=8))
    a = checkpoint_values(tmp_path / "a" / "model-1")
    b = checkpoint_values(tmp_path / "b" / "model-1")
    assert not np.array_equal(a["g_w1"], b["g_w1"])
    hp = small_hp(tmp_path, shuffle=True)
    assert np.array_equal(streams.epoch_order(hp.seed, False, 3, 10), np.arange(10))
    o3, o4 = (streams.epoch_order(hp.seed, True, e, 100) for e in (3, 4))
    assert sorted(o3) == list(range(100)) and not np.array_equal(o3, o4)
    assert np.array_equal(o3, streams.epoch_order(hp.seed, True, 3, 100))


def test_restore_takes_the_runs_config_and_extends_it(tmp_path):
    run(small_hp(tmp_path, max_epoch=1, shuffle=True))
    hp = train.resolve({"output": str(tmp_path), "max_epoch": 2}, restore=True)
    assert hp.shuffle and hp.h1_size == 32 and hp.seed == 7 and hp.max_epoch == 2
    log = run(hp, restore=True)
    assert "epoch 1 " in log
    assert [r["epoch"] for r in read_rows(tmp_path / "metrics.csv")] == [0, 1]


def test_a_checkpoint_of_the_seed_script_restores_and_trains_on(tmp_path):
    hp = small_hp(tmp_path, max_epoch=2)
    sg = reference.build_seed_graph(hp, seed=1)
    with sg.graph.as_default(), v1.Session() as s:
        s.run(sg.init)
        s.run(tf.compat.v1.assign(sg.global_step, 1))
        seed_w = s.run(sg.g_params[0])
        sg.saver.save(s, os.path.join(tmp_path, "model"), global_step=sg.global_step)
    # what the seed script leaves: model-1.*, checkpoint, and its grids
    grid.save_grid(str(tmp_path / "sample0.jpg"), np.zeros((64, 784), np.float32))
    assert not os.path.exists(tmp_path / "config.json")

    tg = build_train_graph(hp._replace(seed=3), 256)
    with tg.graph.as_default(), v1.Session() as s:
        tg.saver.restore(s, str(tmp_path / "model-1"))
        assert np.array_equal(s.run(tg.g_params[0]), seed_w)
        assert s.run(tg.global_step) == 1

    log = run(hp, restore=True)
    assert "epoch 1 " in log and "epoch 0 " not in log
    after = checkpoint_values(tmp_path / "model-2")
    assert after["global_step"] == 2 and not np.array_equal(after["g_w1"], seed_w)
    assert os.path.exists(tmp_path / "fixed_noise.npy")


def test_restore_refuses_missing_or_mismatched_checkpoints(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="no checkpoint"):
        run(small_hp(empty), restore=True)
    assert os.listdir(empty) == []

    run(small_hp(tmp_path / "r", max_epoch=1))
    before = snapshot(tmp_path / "r")
    hp = train.resolve({"output": str(tmp_path / "r"), "h1_size": 48}, restore=True)
    with pytest.raises(UsageError, match=r"g_w1 has shape \[16, 32\].*--h1-size 48"):
        run(hp, restore=True)
    assert snapshot(tmp_path / "r") == before


# ------------------------------------------------------ the output folder ---

def test_new_run_deletes_only_its_own_files(tmp_path):
    run(small_hp(tmp_path, max_epoch=2))
    (tmp_path / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="notes.txt"):
        run(small_hp(tmp_path, max_epoch=1))
    assert snapshot(tmp_path) == before

    os.remove(tmp_path / "notes.txt")
    log = run(small_hp(tmp_path, max_epoch=1))
    assert "removed" in log
    assert not os.path.exists(tmp_path / "model-2.index")
    assert not os.path.exists(tmp_path / "sample1.jpg")


def test_run_file_names():
    for name in ("sample12.jpg", "random_sample0.jpg", "model-3.index",
                 "model-3.data-00000-of-00001", "model-3.meta", "checkpoint",
                 "metrics.csv", "config.json", "fixed_noise.npy",
                 ".metrics.csv.ab3_x9zq.tmp.csv", "checkpoint.tmp5f3a9e"):
        assert rundir.is_run_file(name), name
    for name in ("notes.txt", "sample.jpg", "model.py", ".bashrc", "data.tmp",
                 "my-sample1.jpg"):
        assert not rundir.is_run_file(name), name


# ---------------------------------------------------------------- faults ---

def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    run(small_hp(tmp_path, max_epoch=1))
    with pytest.raises(Stopped, match="diverged.*model-1") as e:
        run(small_hp(tmp_path, max_epoch=3, learning_rate=1e30), restore=True)
    assert e.value.status == 1
    assert checkpoints.latest(str(tmp_path)).endswith("model-1")


def _start(folder, *extra):
    env = _env()
    args = ["--output", str(folder), "--limit", "2048", "--batch-size", "32",
            "--h1-size", "32", "--h2-size", "64", "--z-size", "16",
            "--seed", "4", "--max-epoch", "400", *extra]
    return subprocess.Popen([sys.executable, "-m", "gan_mnist.train", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)


def _wait_for(path, proc, timeout=120):
    end = time.time() + timeout
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        assert time.time() < end, f"{path} did not appear"
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_with_a_resume_hint(tmp_path, sig):
    proc = _start(tmp_path)
    _wait_for(tmp_path / "model-1.index", proc)
    time.sleep(0.1)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig]
    assert "Traceback" not in err
    assert f"--output {tmp_path} --restore" in err
    done = checkpoints.complete(str(tmp_path))[-1][0]
    rows = read_rows(tmp_path / "metrics.csv")
    assert [r["epoch"] for r in rows] == list(range(done))


def test_kill_9_at_any_moment_resumes_exactly(tmp_path):
    """kill -9 during training (and its file writes), then --restore: the run
    ends where an uninterrupted run ends, bit for bit."""
    proc = _start(tmp_path / "killed")
    _wait_for(tmp_path / "killed" / "model-2.index", proc)
    time.sleep(np.random.default_rng().uniform(0, 0.3))
    proc.kill()
    proc.wait()
    done = checkpoints.complete(str(tmp_path / "killed"))[-1][0]
    target = done + 1
    hp = train.resolve({"output": str(tmp_path / "killed"), "max_epoch": target},
                       restore=True)
    run(hp, restore=True)
    run(hp._replace(output=str(tmp_path / "whole")))
    assert_same_checkpoints(tmp_path / "killed" / f"model-{target}",
                            tmp_path / "whole" / f"model-{target}")
    rows = read_rows(tmp_path / "killed" / "metrics.csv")
    assert [r["epoch"] for r in rows] == list(range(target))


def test_g_average_can_start_on_a_run_trained_without_it(tmp_path):
    from gan_mnist import sampling
    run(small_hp(tmp_path, max_epoch=1))
    log = run(small_hp(tmp_path, g_average=0.9), restore=True)
    assert "no average of G's weights" in log
    values = checkpoint_values(tmp_path / "model-2")
    names = ["g_w1", "g_b1", "g_w2", "g_b2", "g_w3", "g_b3"]
    shadows = [values[n + checkpoints.AVERAGE_SUFFIX] for n in names]
    # an epoch of averaging: near the weights, but not equal to them
    assert not np.array_equal(shadows[0], values["g_w1"])
    assert np.abs(shadows[0] - values["g_w1"]).max() < 0.05
    # sampling from the checkpoint uses the average, as the grids do
    gen = sampling.Generator.from_checkpoint(str(tmp_path / "model-2"))
    z = np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)
    h = np.maximum(z @ shadows[0] + shadows[1], 0)
    h = np.maximum(h @ shadows[2] + shadows[3], 0)
    np.testing.assert_allclose(gen(z), np.tanh(h @ shadows[4] + shadows[5]),
                               atol=1e-5)
    assert gen.averaged
    gen.close()
    raw = sampling.Generator.from_checkpoint(str(tmp_path / "model-2"), average=False)
    w = [values[n] for n in names]
    h = np.maximum(np.maximum(z @ w[0] + w[1], 0) @ w[2] + w[3], 0)
    np.testing.assert_allclose(raw(z), np.tanh(h @ w[4] + w[5]), atol=1e-5)
    assert not raw.averaged
    raw.close()
    from gan_mnist import evaluate
    assert evaluate.main(["--checkpoint", str(tmp_path / "model-2"), "--raw-weights",
                          "--num", "100", "--no-floor", "--data-dir", DATA]) == 0
    assert "raw weights" in (tmp_path / "model-2.raw.eval.json").read_text()
    # the tutorial's graph restores it too (its Saver ignores the average)
    sg = reference.build_seed_graph(small_hp(tmp_path))
    with sg.graph.as_default(), v1.Session() as s:
        sg.saver.restore(s, str(tmp_path / "model-2"))
        assert np.array_equal(s.run(sg.g_params[0]), values["g_w1"])
    # and so does a run without the option
    assert "epoch 2 " in run(small_hp(tmp_path, max_epoch=3), restore=True)


# ---------------------------------------------------------------- recipe ---

def test_recipe_sets_its_flags_and_explicit_flags_win(tmp_path):
    out = str(tmp_path / "r")
    plain = train.resolve({"output": out, "seed": 1}, restore=False)
    hp = train.resolve({"output": out, "seed": 1, "recipe": "improved"}, restore=False)
    changed = {f for f in config.DEFAULTS if getattr(hp, f) != getattr(plain, f)}
    assert changed == set(config.RECIPES["improved"])
    for field, value in config.RECIPES["improved"].items():
        assert getattr(hp, field) == value
    # the sizes, and so the checkpoints, stay the seed's
    assert all(getattr(hp, f) == config.DEFAULTS[f] for f in config.SHAPE_FIELDS)
    hp = train.resolve({"output": out, "recipe": "improved", "beta1": 0.7},
                       restore=False)
    assert hp.beta1 == 0.7 and hp.init == config.RECIPES["improved"]["init"]


def test_recipe_is_kept_on_restore_without_the_flag(tmp_path):
    small = ["--output", str(tmp_path), "--data-dir", DATA, "--seed", "7",
             "--limit", "256", "--batch-size", "32", "--h1-size", "32",
             "--h2-size", "64", "--z-size", "16"]
    train.main([*small, "--recipe", "improved", "--max-epoch", "1"])
    again = train.resolve({"output": str(tmp_path), "max_epoch": 2}, restore=True)
    for field, value in config.RECIPES["improved"].items():
        assert getattr(again, field) == value
    train.main(["--output", str(tmp_path), "--restore", "--max-epoch", "2"])
    assert [r["epoch"] for r in read_rows(tmp_path / "metrics.csv")] == [0, 1]
    assert config.load(tmp_path).init == config.RECIPES["improved"]["init"]


def test_help_says_exactly_which_flags_the_recipe_sets():
    r = cli("--help")
    text = " ".join(r.stdout.split())
    flags = config.recipe_flags("improved")
    assert flags in text
    for field in config.RECIPES["improved"]:
        assert "--" + field.replace("_", "-") in flags


# ------------------------------------------------------------- bad input ---

@pytest.mark.parametrize("args, words", [
    (["--batch-size", "0"], "--batch-size 0"),
    (["--keep-prob", "1.5"], "--keep-prob 1.5"),
    (["--keep-prob", "0"], "--keep-prob 0"),
    (["--learning-rate", "-1"], "--learning-rate -1"),
    (["--max-epoch", "-2"], "--max-epoch -2"),
    (["--limit", "0"], "--limit 0"),
    (["--batch-size", "300", "--limit", "200"], "--batch-size 300"),
    (["--data-dir", "/nonexistent/mnist"], "/nonexistent/mnist"),
    (["--recipe", "fast"], "--recipe"),
    (["--init", "he"], "--init"),
    (["--max-epoch", "ten"], "--max-epoch"),
    (["--no-such-flag"], "--no-such-flag"),
])
def test_bad_flags_give_one_line_and_status_2(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as e:
        train.main(["--output", str(tmp_path / "o"), *args])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err
    assert not os.path.exists(tmp_path / "o" / "config.json")


def test_output_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("keep me")
    for out in (f, f / "sub"):
        r = cli("--output", str(out), "--max-epoch", "1")
        assert r.returncode == 2 and "is a file" in r.stderr
        assert r.stderr.count("\n") == 1
    assert f.read_text() == "keep me"
