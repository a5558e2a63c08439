"""Training: the command, its files, resume, interruption and bad input."""

import io
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from skimage.io import imread

from gan_mnist import (checkpoints, config, grid, preflight, reference, rundir,
                       sampling, streams, train, training)
from gan_mnist.interrupt import Stopped
from gan_mnist.train_graph import build_train_graph, whole_chains
from gan_mnist._tf import tf, v1
from gan_mnist.data import load_mnist
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


def run(hp, restore=False, overwrite=False, stop_after=None):
    out = io.StringIO()
    training.train(preflight.prepare(hp, restore, overwrite), out=out,
                   stop_after=stop_after)
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


def _help(capsys):
    with pytest.raises(SystemExit) as e:
        train.main(["--help"])
    assert e.value.code == 0
    return capsys.readouterr().out


def test_help_lists_every_flag_with_its_default(capsys):
    out = _help(capsys)
    for flag in ("--max-epoch", "--batch-size", "--h1-size", "--h2-size",
                 "--z-size", "--learning-rate", "--keep-prob", "--data-dir",
                 "--output", "--seed", "--restore", "--shuffle"):
        assert flag in out
    assert "(default: 500)" in out and "(default: 0.7)" in out


def test_the_tutorials_defaults_are_pinned():
    """The seed script's values, written out here rather than read from the
    code under test."""
    hp = config.HParams()
    assert (hp.max_epoch, hp.batch_size, hp.h1_size, hp.h2_size, hp.z_size,
            hp.learning_rate, hp.keep_prob) == (500, 256, 256, 512, 128, 1e-4, 0.7)
    assert (hp.data_dir, hp.output, hp.seed, hp.limit) == ("MNIST_data", "output",
                                                           None, None)
    # every option beyond the seed is off
    assert (hp.shuffle, hp.beta1, hp.label_smoothing, hp.init, hp.leaky_relu,
            hp.g_average, hp.eval_every) == (False, 0.9, 0.0, "truncated_normal",
                                             0.0, 0.0, 0)
    assert config.GRID_SIZE == (8, 8) and config.GRID_PAD == 5
    tg = build_train_graph(hp._replace(seed=1), 300)
    shapes = {v.op.name: v.shape.as_list() for v in tg.g_params + tg.d_params}
    assert shapes == {
        "g_w1": [128, 256], "g_b1": [256], "g_w2": [256, 512], "g_b2": [512],
        "g_w3": [512, 784], "g_b3": [784], "d_w1": [784, 512], "d_b1": [512],
        "d_w2": [512, 256], "d_b2": [256], "d_w3": [256, 1], "d_b3": [1]}
    assert tg.iters_per_epoch == 1  # 300 // 256; 60000 // 256 = 234


def test_the_default_command_trains_the_whole_set_with_a_drawn_seed(tmp_path):
    """``python -m gan_mnist.train`` as the README gives it, for one epoch:
    the 60000 images at batch 256 (234 steps, 96 images left over), the
    default folder, a seed drawn, printed and saved."""
    os.symlink(DATA, tmp_path / "MNIST_data")
    r = cli("--max-epoch", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "output"
    hp = config.load(str(out))
    assert hp._replace(seed=None) == config.HParams(max_epoch=1)
    assert f"seed {hp.seed} (drawn; --seed {hp.seed} repeats this run)" in r.stdout
    assert {"sample0.jpg", "random_sample0.jpg", "model-1.index",
            "model-1.meta", "metrics.csv", "fixed_noise.npy"} <= set(os.listdir(out))
    ckpt = checkpoint_values(out / "model-1")
    assert ckpt["g_w3"].shape == (512, 784) and ckpt["global_step"] == 1
    # Both updates of each of the 234 steps advanced Adam's shared powers.
    assert ckpt["beta2_power"] == pytest.approx(0.999 ** (1 + 2 * 234), rel=1e-5)
    assert [r["epoch"] for r in read_rows(out / "metrics.csv")] == [0]


# --------------------------------------------------------------- resume ---

@pytest.mark.parametrize("options", [{}, {"shuffle": True}, {"g_average": 0.9},
                                     # two steps an epoch: a short program to compile
                                     {"xla": True, "shuffle": True, "g_average": 0.9,
                                      "limit": 64}])
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


def test_stop_after_stops_early_on_the_whole_runs_schedule(tmp_path):
    # with a decay the learning rate depends on --max-epoch: stopping early
    # must not shorten the schedule, and resuming must end where one run does
    hp = dict(max_epoch=3, lr_decay=1.0)
    run(small_hp(tmp_path / "a", **hp))
    log = run(small_hp(tmp_path / "b", **hp), stop_after=1)
    assert "stopped after 1 of 3 epochs" in log and "--restore" in log
    assert not os.path.exists(tmp_path / "b" / "model-2")
    run(small_hp(tmp_path / "c", max_epoch=1, lr_decay=1.0))
    b1, c1 = checkpoint_values(tmp_path / "b" / "model-1"), checkpoint_values(tmp_path / "c" / "model-1")
    assert not np.array_equal(b1["g_w1"], c1["g_w1"])  # a 1-epoch schedule differs
    assert "done already (--stop-after 1)" in run(small_hp(tmp_path / "b", **hp),
                                                  restore=True, stop_after=1)
    run(small_hp(tmp_path / "b", **hp), restore=True, stop_after=2)
    run(small_hp(tmp_path / "b", **hp), restore=True)
    assert_same_checkpoints(tmp_path / "a" / "model-3", tmp_path / "b" / "model-3")
    assert config.load(tmp_path / "b").max_epoch == 3  # --stop-after is not saved


class _RecordingSession(v1.Session):
    """A Session that, with every run of training steps, also fetches the
    real batches that those steps trained on (``x_data`` and the chain's
    ``x_data_step<k>``)."""

    def __init__(self, tg, config=None):
        super().__init__(graph=tg.graph, config=config)
        self.tg, self.batches = tg, []

    def run(self, fetches, feed_dict=None, *args, **kwargs):
        if not (feed_dict and self.tg.iteration in feed_dict):
            return super().run(fetches, feed_dict, *args, **kwargs)
        steps = self.tg.tensors["x_reals"]
        if self.tg.train_steps not in fetches:
            steps = steps[:1]
        out, x = super().run([fetches, [x for xs in steps for x in xs]], feed_dict)
        self.batches += x
        return out


@pytest.mark.parametrize("shuffle, d_steps, xla", [(False, 1, False), (True, 1, False),
                                                  (True, 2, False), (True, 1, True)])
def test_step_k_of_an_epoch_trains_on_rows_k_of_the_epochs_order(
        tmp_path, monkeypatch, shuffle, d_steps, xla):
    """232 images at batch 16: 14 batches an epoch (three runs of four steps,
    then two single steps), 8 images left over. Batch k of epoch e is
    images[order_e[16k:16(k+1)]], where order_e is file order, or with
    --shuffle numpy's permutation from [seed, 8, e]. With --d-steps 2 a step
    trains D on two batches in turn: 7 steps an epoch."""
    n, b, epochs, iters = 232, 16, 3, 14
    graphs, sessions = [], []

    def build(*args, **kw):
        graphs.append(build_train_graph(*args, **kw))
        return graphs[-1]

    def recording_session(graph, config=None):
        sessions.append(_RecordingSession(graphs[-1], config))
        return sessions[-1]

    monkeypatch.setattr(training, "build_train_graph", build)
    monkeypatch.setattr(training, "session", recording_session)
    hp = small_hp(tmp_path, limit=n, batch_size=b, shuffle=shuffle, max_epoch=epochs,
                  d_steps=d_steps, xla=xla)
    run(hp)
    # --xla chains whole epochs: 7 steps (of 14) a call, no single steps
    assert graphs[0].steps_per_run == (7 if xla else 4)
    assert graphs[0].iters_per_epoch == 14 // d_steps
    images = load_mnist(DATA, "train", n)[0].reshape(n, 784)
    want = []
    for e in range(epochs):
        order = (np.random.default_rng([hp.seed, 8, e]).permutation(n) if shuffle
                 else np.arange(n))
        for k in range(iters):
            rows = images[order[k * b:(k + 1) * b]]
            want.append((rows / 255.0 * 2.0 - 1.0).astype(np.float32))
    got = sessions[0].batches
    assert len(got) == len(want) == epochs * iters
    for i, (g, w) in enumerate(zip(got, want)):
        assert np.array_equal(g, w), f"epoch {i // iters} step {i % iters}"


@pytest.mark.parametrize("xla", [False, True])
def test_chained_steps_train_exactly_as_one_step_per_call(tmp_path, monkeypatch, xla):
    # 14 steps an epoch: three chains of four, then two single steps; with
    # the options whose state moves every step (average, decay, shuffle)
    # (with --xla, 11 steps: two chains of four, then three single steps,
    # since no chain of 4 to 8 steps fills an epoch of 11)
    kw = dict(limit=176 if xla else 232, batch_size=16, shuffle=True, g_average=0.9,
              lr_decay=1.0, label_smoothing=0.1, leaky_relu=0.2, d_learning_rate=2e-3,
              xla=xla)
    run(small_hp(tmp_path / "chained", **kw))
    build = training.build_train_graph
    monkeypatch.setattr(training, "build_train_graph",
                        lambda *a, **k: build(*a, steps_per_run=1, **k))
    run(small_hp(tmp_path / "single", **kw))
    rows = [read_rows(tmp_path / f / "metrics.csv") for f in ("chained", "single")]
    if not xla:
        assert_same_checkpoints(tmp_path / "chained" / "model-2",
                                tmp_path / "single" / "model-2")
        assert [r["d_loss"] for r in rows[0]] == [r["d_loss"] for r in rows[1]]
        return
    # XLA compiles the chain of four and the single step into two programs,
    # which may round differently (every epoch runs the same programs in
    # the same order, so a resumed run is still exact): the same training,
    # within rounding after 22 steps.
    a, b = (checkpoint_values(tmp_path / f / "model-2") for f in ("chained", "single"))
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-3, atol=1e-5, err_msg=name)


def test_xla_chains_fill_an_epoch_where_a_length_of_k_to_2k_divides_it():
    assert [whole_chains(n, 4) for n in (1875, 234, 14, 8, 11, 3)] == [5, 6, 7, 4, 4, 4]
    assert whole_chains(14, 1) == 1


def test_the_saver_keeps_the_newest_five_across_a_resume(tmp_path):
    run(small_hp(tmp_path, max_epoch=4))
    run(small_hp(tmp_path, max_epoch=7), restore=True)
    assert [e for e, _ in checkpoints.complete(str(tmp_path))] == [3, 4, 5, 6, 7]


def test_a_checkpoint_written_before_the_split_restores_and_trains_on(tmp_path):
    """tests/data/run-0.1.0: epoch 1 of a tiny --recipe improved run, written
    by version 0.1.0 (before train.py was split), G's average included."""
    old = tmp_path / "old"
    shutil.copytree(os.path.join(ROOT, "tests", "data", "run-0.1.0"), old)
    stored = checkpoint_values(old / "model-1")
    hp = train.resolve({"output": str(old), "data_dir": DATA, "max_epoch": 2},
                       restore=True)
    assert (hp.seed, hp.batch_size, hp.h1_size, hp.g_average) == (5, 16, 8, 0.999)
    gen = sampling.Generator.from_checkpoint(str(old / "model-1"))
    assert gen.averaged and gen.hp.h2_size == 6
    z = np.ones((2, 4), np.float32)
    w = [stored[n + checkpoints.AVERAGE_SUFFIX] for n in checkpoints.G_NAMES]
    h = np.maximum(np.maximum(z @ w[0] + w[1], 0) @ w[2] + w[3], 0)
    np.testing.assert_allclose(gen(z), np.tanh(h @ w[4] + w[5]), atol=1e-6)
    gen.close()
    assert "restored" in run(hp, restore=True)
    run(hp._replace(output=str(tmp_path / "new")))
    a = checkpoint_values(old / "model-2")
    b = checkpoint_values(tmp_path / "new" / "model-2")
    assert sorted(a) == sorted(b)
    # The stored epoch was trained with oneDNN's kernels; where this CPU
    # runs others (Eigen's, on AVX2), epoch 1 already differs in the last
    # bits, and so epoch 2 may too.
    fresh = checkpoint_values(tmp_path / "new" / "model-1")
    same_kernels = all(np.array_equal(stored[n], fresh[n]) for n in checkpoints.G_NAMES)
    for name in a:
        if name.endswith(checkpoints.AVERAGE_SUFFIX):
            # 0.1.0 formed 1 - decay in float64; TensorFlow's average forms
            # it in float32: the averages differ in their last bits only.
            np.testing.assert_allclose(a[name], b[name], rtol=0, atol=1e-6)
        elif same_kernels:
            assert np.array_equal(a[name], b[name]), name
        else:
            np.testing.assert_allclose(a[name], b[name], rtol=0, atol=1e-5, err_msg=name)


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

def test_a_new_run_refuses_a_folder_with_a_run_and_overwrite_deletes_only_its_files(tmp_path):
    run(small_hp(tmp_path, max_epoch=2))
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="holds a run of 2 epochs.*--restore.*--overwrite"):
        run(small_hp(tmp_path, max_epoch=1))
    assert snapshot(tmp_path) == before
    (tmp_path / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="notes.txt"):
        run(small_hp(tmp_path, max_epoch=1), overwrite=True)
    assert snapshot(tmp_path) == before

    os.remove(tmp_path / "notes.txt")
    log = run(small_hp(tmp_path, max_epoch=1), overwrite=True)
    assert "removed" in log
    assert not os.path.exists(tmp_path / "model-2.index")
    assert not os.path.exists(tmp_path / "sample1.jpg")


def test_run_file_names():
    for name in ("sample12.jpg", "random_sample0.jpg", "model-3.index",
                 "model-3.data-00000-of-00001", "model-3.meta", "checkpoint",
                 "metrics.csv", "config.json", "fixed_noise.npy",
                 ".metrics.csv.ab3_x9zq.tmp.csv", "checkpoint.tmp" + "5f3a9e" * 5 + "01",
                 "model-3.data-00000-of-00001.tempstate1234", ".gan_mnist.lock"):
        assert rundir.is_run_file(name), name
    for name in ("notes.txt", "sample.jpg", "model.py", ".bashrc", "data.tmp",
                 "my-sample1.jpg", "model-1_notes.txt", "metrics.csv.tmpbackup",
                 "checkpoint.tmp5f3a9e", ".notes.txt.abcdefgh.tmp.txt"):
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


@pytest.mark.parametrize("moment", [11, 12])
def test_kill_9_at_any_moment_resumes_exactly(tmp_path, moment):
    """kill -9 during training (and its file writes), then --restore: the run
    ends where an uninterrupted run ends, bit for bit. The moment of the kill
    is drawn from a seed, so a failure can be repeated."""
    delay = np.random.default_rng(moment).uniform(0, 0.3)
    when = f"kill -9 {delay:.3f} s after model-2.index appeared (seed {moment})"
    proc = _start(tmp_path / "killed")
    _wait_for(tmp_path / "killed" / "model-2.index", proc)
    time.sleep(delay)
    proc.kill()
    proc.wait()
    done = checkpoints.complete(str(tmp_path / "killed"))[-1][0]
    target = done + 1
    hp = train.resolve({"output": str(tmp_path / "killed"), "max_epoch": target},
                       restore=True)
    run(hp, restore=True)
    run(hp._replace(output=str(tmp_path / "whole")))
    va = checkpoint_values(tmp_path / "killed" / f"model-{target}")
    vb = checkpoint_values(tmp_path / "whole" / f"model-{target}")
    assert sorted(va) == sorted(vb), when
    for name in va:
        assert np.array_equal(va[name], vb[name]), f"{name} differs; {when}"
    rows = read_rows(tmp_path / "killed" / "metrics.csv")
    assert [r["epoch"] for r in rows] == list(range(target)), when


def test_g_average_can_start_on_a_run_trained_without_it(tmp_path):
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


def test_help_says_exactly_which_flags_the_recipe_sets(capsys):
    text = " ".join(_help(capsys).split())
    assert ("'improved' is --learning-rate 0.0002 --batch-size 32 --beta1 0.5 "
            "--shuffle --label-smoothing 0.1 --init glorot --leaky-relu 0.2 "
            "--g-average 0.999;") in text
    assert ("'fast' is --learning-rate 0.0004 --batch-size 32 --beta1 0.5 "
            "--shuffle --label-smoothing 0.1 --init glorot --leaky-relu 0.2 "
            "--g-average 0.999 --lr-decay 1 --max-epoch 100;") in text


# ------------------------------------------------------------- bad input ---

@pytest.mark.parametrize("args, words", [
    (["--stop-after", "0"], "--stop-after 0: must be at least 1"),
    (["--batch-size", "0"], "--batch-size 0"),
    (["--keep-prob", "1.5"], "--keep-prob 1.5"),
    (["--keep-prob", "0"], "--keep-prob 0"),
    (["--learning-rate", "-1"], "--learning-rate -1"),
    (["--max-epoch", "-2"], "--max-epoch -2"),
    (["--limit", "0"], "--limit 0"),
    (["--batch-size", "300", "--limit", "200"], "--batch-size 300"),
    (["--data-dir", "/nonexistent/mnist"], "/nonexistent/mnist"),
    (["--recipe", "fastest"], "--recipe"),
    (["--init", "he"], "--init"),
    (["--max-epoch", "ten"], "--max-epoch"),
    (["--no-such-flag"], "--no-such-flag"),
    (["--xla", "--precision", "bfloat16"], "--precision bfloat16: the bfloat16 rewrite"),
])
def test_bad_flags_give_one_line_and_status_2(tmp_path, capsys, args, words):
    with pytest.raises(SystemExit) as e:
        train.main(["--output", str(tmp_path / "o"), *args])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err
    assert not os.path.exists(tmp_path / "o" / "config.json")


def test_output_that_is_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("keep me")
    for out in (f, f / "sub"):
        with pytest.raises(SystemExit) as e:
            train.main(["--output", str(out), "--max-epoch", "1"])
        err = capsys.readouterr().err
        assert e.value.code == 2 and "is a file" in err and err.count("\n") == 1
    assert f.read_text() == "keep me"


# ------------------------------------------------------------- bfloat16 ---

def test_bfloat16_is_refused_where_the_cpu_lacks_it(tmp_path, monkeypatch, capsys):
    assert preflight.cpu_flags(str(tmp_path / "none")) == (None, None)
    monkeypatch.setattr(preflight, "cpu_flags",
                        lambda: ("Old CPU", {"fpu", "sse2", "avx2", "fma"}))
    with pytest.raises(SystemExit) as e:
        train.main(["--output", str(tmp_path / "o"), "--data-dir", DATA,
                    "--precision", "bfloat16"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1
    assert "--precision bfloat16: this CPU (Old CPU) has no bfloat16" in err
    assert not os.path.exists(tmp_path / "o")
    monkeypatch.setattr(preflight, "cpu_flags", lambda: ("New CPU", {"avx512_bf16"}))
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    with pytest.raises(UsageError, match="TF_ENABLE_ONEDNN_OPTS=0"):
        preflight.check_bfloat16()


def _onednn_on():
    from tensorflow.python.framework import test_util
    return test_util.IsMklEnabled()


@pytest.mark.skipif(not _onednn_on(), reason="the bfloat16 rewrite needs oneDNN on")
def test_bfloat16_runs_resume_exactly_and_keep_float32_checkpoints(tmp_path, monkeypatch):
    # The rewrite runs on any CPU with oneDNN on (emulated where the
    # instructions are missing), so the test does not need them.
    monkeypatch.setattr(preflight, "cpu_flags", lambda: ("any", {"avx512_bf16"}))
    bf = dict(precision="bfloat16", batch_size=64, h1_size=128, h2_size=256)
    run(small_hp(tmp_path / "a", **bf))
    run(small_hp(tmp_path / "b", max_epoch=1, **bf))
    run(small_hp(tmp_path / "b", **bf), restore=True)
    assert_same_checkpoints(tmp_path / "a" / "model-2", tmp_path / "b" / "model-2")
    run(small_hp(tmp_path / "f", **dict(bf, precision="float32")))
    a, f = (checkpoint_values(tmp_path / d / "model-2") for d in ("a", "f"))
    assert all(v.dtype == f[k].dtype for k, v in a.items())
    assert a["g_w3"].dtype == np.float32
    # bfloat16 matmuls: other numbers, but the same training
    assert not np.array_equal(a["g_w3"], f["g_w3"])
    assert np.abs(a["d_w1"] - f["d_w1"]).max() < 0.05
