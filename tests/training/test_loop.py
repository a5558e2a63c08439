"""The training run: exact resume, chained steps, the batches each step trains on, old checkpoints, signals and kill -9."""

import os
import shutil
import signal
import time

import numpy as np
import pytest
from conftest import (
    DATA,
    ROOT,
    assert_same_checkpoints,
    checkpoint_values,
    run,
    small_hp,
    start_training,
    wait_for,
)

from gan_mnist import cpu, streams, train
from gan_mnist._tf import tf, v1
from gan_mnist.data import load_mnist
from gan_mnist.graph import tutorial
from gan_mnist.graph.train_graph import build_train_graph
from gan_mnist.rundir import checkpoints, config_json, grid
from gan_mnist.rundir.metrics_csv import read_rows
from gan_mnist.sampling import generator
from gan_mnist.training import loop
from gan_mnist.training.interrupt import Stopped


@pytest.mark.parametrize("options", [
    pytest.param({}, id="defaults"),
    pytest.param({"shuffle": True}, id="shuffle", marks=pytest.mark.slow),
    pytest.param({"g_average": 0.9}, id="g-average", marks=pytest.mark.slow),
    # two steps an epoch: a short program to compile
    pytest.param({"xla": True, "shuffle": True, "g_average": 0.9, "limit": 64},
                 id="xla", marks=pytest.mark.slow),
    # D's options: their variables (the power iteration's vectors, the
    # deviation's weight) and top-k's epoch-dependent k resume too
    pytest.param({"mbstd": True, "spectral_norm": True, "loss": "hinge", "top_k": 0.5,
                  "top_k_decay": 0.6, "d_h1_size": 24, "d_h2_size": 40},
                 id="d-options", marks=pytest.mark.slow)])
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


@pytest.mark.slow
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
    assert config_json.load(tmp_path / "b").max_epoch == 3  # --stop-after is not saved


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
        steps = self.tg.inner.x_reals
        if self.tg.train_steps not in fetches:
            steps = steps[:1]
        out, x = super().run([fetches, [x for xs in steps for x in xs]], feed_dict)
        self.batches += x
        return out


@pytest.mark.slow
@pytest.mark.parametrize("shuffle, d_steps, xla", [
    (False, 1, False), (True, 1, False), (True, 2, False), (True, 1, True)],
    ids=["file-order", "shuffle", "shuffle-d-steps-2", "shuffle-xla"])
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

    monkeypatch.setattr(loop, "build_train_graph", build)
    monkeypatch.setattr(loop, "session", recording_session)
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


@pytest.mark.slow
@pytest.mark.parametrize("xla", [False, True], ids=["kernels", "xla"])
def test_chained_steps_train_exactly_as_one_step_per_call(tmp_path, monkeypatch, xla):
    # 14 steps an epoch: three chains of four, then two single steps; with
    # the options whose state moves every step (average, decay, shuffle)
    # (with --xla, 11 steps: two chains of four, then three single steps,
    # since no chain of 4 to 8 steps fills an epoch of 11)
    kw = dict(limit=176 if xla else 232, batch_size=16, shuffle=True, g_average=0.9,
              lr_decay=1.0, label_smoothing=0.1, leaky_relu=0.2, d_learning_rate=2e-3,
              xla=xla)
    run(small_hp(tmp_path / "chained", **kw))
    build = loop.build_train_graph
    monkeypatch.setattr(loop, "build_train_graph",
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


@pytest.mark.slow
def test_the_saver_keeps_the_newest_five_across_a_resume(tmp_path):
    run(small_hp(tmp_path, max_epoch=4))
    run(small_hp(tmp_path, max_epoch=7), restore=True)
    assert [e for e, _ in checkpoints.complete(str(tmp_path))] == [3, 4, 5, 6, 7]


@pytest.mark.slow
def test_a_checkpoint_written_before_the_split_restores_and_trains_on(tmp_path):
    """tests/data/run-0.1.0: epoch 1 of a tiny --recipe improved run, written
    by version 0.1.0 (before train.py was split), G's average included."""
    old = tmp_path / "old"
    shutil.copytree(os.path.join(ROOT, "tests", "data", "run-0.1.0"), old)
    stored = checkpoint_values(old / "model-1")
    hp = train.resolve({"output": str(old), "data_dir": DATA, "max_epoch": 2},
                       restore=True)
    assert (hp.seed, hp.batch_size, hp.h1_size, hp.g_average) == (5, 16, 8, 0.999)
    gen = generator.Generator.from_checkpoint(str(old / "model-1"))
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


@pytest.mark.slow
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


def test_a_checkpoint_of_the_tutorials_script_restores_and_trains_on(tmp_path):
    hp = small_hp(tmp_path, max_epoch=2)
    sg = tutorial.build_tutorial_graph(hp, seed=1)
    with sg.graph.as_default(), v1.Session() as s:
        s.run(sg.init)
        s.run(tf.compat.v1.assign(sg.global_step, 1))
        tut_w = s.run(sg.g_params[0])
        sg.saver.save(s, os.path.join(tmp_path, "model"), global_step=sg.global_step)
    # what the tutorial's script leaves: model-1.*, checkpoint, and its grids
    grid.save_grid(str(tmp_path / "sample0.jpg"), np.zeros((64, 784), np.float32))
    assert not os.path.exists(tmp_path / "config.json")

    tg = build_train_graph(hp._replace(seed=3), 256)
    with tg.graph.as_default(), v1.Session() as s:
        tg.saver.restore(s, str(tmp_path / "model-1"))
        assert np.array_equal(s.run(tg.g_params[0]), tut_w)
        assert s.run(tg.global_step) == 1

    log = run(hp, restore=True)
    assert "epoch 1 " in log and "epoch 0 " not in log
    after = checkpoint_values(tmp_path / "model-2")
    assert after["global_step"] == 2 and not np.array_equal(after["g_w1"], tut_w)
    assert os.path.exists(tmp_path / "fixed_noise.npy")


@pytest.mark.slow
def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    run(small_hp(tmp_path, max_epoch=1))
    with pytest.raises(Stopped, match="diverged.*model-1") as e:
        run(small_hp(tmp_path, max_epoch=3, learning_rate=1e30), restore=True)
    assert e.value.status == 1
    assert checkpoints.latest(str(tmp_path)).endswith("model-1")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_cleanly_with_a_resume_hint(tmp_path, sig):
    proc = start_training(tmp_path)
    wait_for(tmp_path / "model-1.index", proc)
    time.sleep(0.1)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig]
    assert "Traceback" not in err
    assert f"--output {tmp_path} --restore" in err
    done = checkpoints.complete(str(tmp_path))[-1][0]
    rows = read_rows(tmp_path / "metrics.csv")
    assert [r["epoch"] for r in rows] == list(range(done))


@pytest.mark.slow
@pytest.mark.parametrize("moment", [11, 12], ids=["draw-11", "draw-12"])
def test_kill_9_at_any_moment_resumes_exactly(tmp_path, moment):
    """kill -9 during training (and its file writes), then --restore: the run
    ends where an uninterrupted run ends, bit for bit. The moment of the kill
    is drawn from a seed, so a failure can be repeated."""
    delay = np.random.default_rng(moment).uniform(0, 0.3)
    when = f"kill -9 {delay:.3f} s after model-2.index appeared (seed {moment})"
    proc = start_training(tmp_path / "killed")
    wait_for(tmp_path / "killed" / "model-2.index", proc)
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


@pytest.mark.slow
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
    gen = generator.Generator.from_checkpoint(str(tmp_path / "model-2"))
    z = np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)
    h = np.maximum(z @ shadows[0] + shadows[1], 0)
    h = np.maximum(h @ shadows[2] + shadows[3], 0)
    np.testing.assert_allclose(gen(z), np.tanh(h @ shadows[4] + shadows[5]),
                               atol=1e-5)
    assert gen.averaged
    gen.close()
    raw = generator.Generator.from_checkpoint(str(tmp_path / "model-2"), average=False)
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
    sg = tutorial.build_tutorial_graph(small_hp(tmp_path))
    with sg.graph.as_default(), v1.Session() as s:
        sg.saver.restore(s, str(tmp_path / "model-2"))
        assert np.array_equal(s.run(sg.g_params[0]), values["g_w1"])
    # and so does a run without the option
    assert "epoch 2 " in run(small_hp(tmp_path, max_epoch=3), restore=True)


def _onednn_on():
    from tensorflow.python.framework import test_util
    return test_util.IsMklEnabled()


@pytest.mark.slow
@pytest.mark.skipif(not _onednn_on(), reason="the bfloat16 rewrite needs oneDNN on")
def test_bfloat16_runs_resume_exactly_and_keep_float32_checkpoints(tmp_path, monkeypatch):
    # The rewrite runs on any CPU with oneDNN on (emulated where the
    # instructions are missing), so the test does not need them.
    monkeypatch.setattr(cpu, "cpu_flags", lambda: ("any", {"avx512_bf16"}))
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


@pytest.mark.slow
def test_spectral_norm_can_start_on_a_run_trained_without_it(tmp_path):
    run(small_hp(tmp_path, max_epoch=1))
    log = run(small_hp(tmp_path, max_epoch=2, spectral_norm=True), restore=True)
    assert "restored" in log
    values = checkpoint_values(tmp_path / "model-2")
    assert {"d_w1/sn_u", "d_w2/sn_u", "d_w3/sn_u"} <= set(values)
    assert np.linalg.norm(values["d_w1/sn_u"]) == pytest.approx(1.0, rel=1e-5)
