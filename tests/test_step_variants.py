"""The step variants that scripts/step_variants.py times are what the README
says they are: the fused average is TensorFlow's, bit for bit."""

import glob
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
import step_variants  # noqa: E402
from gan_mnist._tf import tf, v1  # noqa: E402


def test_the_fused_average_is_tensorflows_bit_for_bit():
    rng = np.random.default_rng(0)
    start = rng.standard_normal((3, 300)).astype(np.float32)
    with tf.Graph().as_default():
        ours, theirs = v1.Variable(start, name="a"), v1.Variable(start, name="b")
        mine, plain = (v1.train.ExponentialMovingAverage(0.999) for _ in range(2))
        fused = step_variants.fused_average(mine, [ours], 0.999)
        reference = plain.apply([theirs])
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            for _ in range(20):
                w = rng.standard_normal(start.shape).astype(np.float32)
                ours.load(w, sess)
                theirs.load(w, sess)
                sess.run([fused, reference])
            got, want = sess.run([mine.average(ours), plain.average(theirs)])
    assert not np.array_equal(got, start)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


def test_every_variant_builds_and_trains(monkeypatch):
    monkeypatch.setattr(step_variants, "N", 256)
    hp = step_variants.hparams(step_variants.argparse.Namespace(
        recipe="improved", precision="float32"))._replace(h1_size=8, h2_size=16)
    averages = {}
    for variant in step_variants.VARIANTS:
        sess, tg = step_variants.build(hp, variant)
        assert step_variants.Timer(sess, tg).block(2) > 0
        averages[variant] = sess.run(tg.g_average)
        ops = tg.graph.get_operations()
        kinds = {op.type for op in ops}
        assert ("ResourceApplyGradientDescent" in kinds) == (variant == "fused-average")
        attrs = {a for op in ops for a in op.node_def.attr}
        assert ("_gradient_op_type" in attrs) == (variant != "tf-gradient")
        assert ("_XlaCompile" in attrs) == (variant == "xla-step")
        assert tg.steps_per_run == (1 if variant == "xla-step" else 4)
    # the parts left out, all at once (each alone goes the same way)
    for variant in ["without-all-three"]:
        fields, no_adam = step_variants.WITHOUT[variant]
        assert set(fields) == {"g_average", "keep_prob"} and no_adam
        sess, tg = step_variants.build(hp, variant)
        assert step_variants.Timer(sess, tg).block(2) > 0
        kinds = {op.type for op in tg.graph.get_operations()}
        assert ("ResourceApplyAdam" in kinds) != no_adam
        assert ("ResourceApplyGradientDescent" in kinds) == no_adam
        assert bool(tg.g_average) == ("g_average" not in fields)
        masks = sess.run(tg.tensors["d_masks"], {tg.iteration: 0})
        assert all(np.all(m == 1) for m in masks) == ("keep_prob" in fields)
    # same arithmetic, only the order of independent work or the form of
    # the same products differs (XLA's kernels round differently)
    for variant in ("fused-average", "adam-after", "tf-gradient"):
        for a, b in zip(averages["package"], averages[variant]):
            np.testing.assert_array_equal(a, b)


def test_every_session_setting_names_a_real_option():
    for name, options in step_variants.SESSIONS.items():
        cfg = step_variants.session_options(v1.ConfigProto(), options)
        for field, value in options.items():
            target = cfg
            for part in field.split("."):
                target = getattr(target, part)
            assert target == value, (name, field)
    assert step_variants.SESSIONS["default"] == {}


def test_children_alternate_and_see_their_environment():
    # A stand-in child: prints a "time" that tells which run it was.
    cmd = [sys.executable, "-c",
           "import os, sys; print('noise'); print(float(os.environ['FAKE']) + len(sys.argv[1]))"]
    runs = {"a": ("x", {"FAKE": "1"}), "b": ("yy", {"FAKE": "10"})}
    times = step_variants.in_children(cmd, runs, rounds=3)
    assert times == {"a": [2.0] * 3, "b": [12.0] * 3}


def test_every_environment_variable_is_one_tensorflow_reads():
    libs = glob.glob(os.path.join(os.path.dirname(tf.__file__), "libtensorflow_framework*"))
    assert libs
    with open(libs[0], "rb") as f:
        text = f.read()
    assert step_variants.ENVIRONMENTS["default"] == {}
    names = [v for env in step_variants.ENVIRONMENTS.values() for v in env]
    assert names
    for name in names:
        assert name.encode() + b"\0" in text, name
    # and every XLA switch tried is a flag that XLA defines
    assert step_variants.XLA_ENVIRONMENTS["default"] == {}
    flags = [f for env in step_variants.XLA_ENVIRONMENTS.values()
             for f in env.get("XLA_FLAGS", "").split()]
    assert flags
    for flag in flags:
        name = flag[2:].split("=")[0]
        assert flag.startswith("--") and name.encode() in text, flag


def test_xla_without_environment_is_one_line_and_status_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        step_variants.main(["--xla", "--rounds", "1"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--xla goes with --environment" in err
