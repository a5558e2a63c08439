"""Latent refinement: its energy is the package's G and the numpy D's
logit, its steps go down that energy, and generate and evaluate say they
drew that way."""

import json

import numpy as np
import pytest
from conftest import DATA

from gan_mnist import evaluate, generate
from gan_mnist.rundir import checkpoints
from gan_mnist.sampling import refine, rejection, sources
from gan_mnist.sampling.generator import Generator

Z, H1, H2, GROUP = 4, 6, 5, 3


def tiny_weights(seed=0):
    """G (4 -> 6 -> 5 -> 784) and D (784 -> 5 -> 6 -> 1, with the minibatch
    feature), random, and a leaky D over groups of 3."""
    rng = np.random.default_rng(seed)
    shapes = dict(zip(checkpoints.G_NAMES, [(Z, H1), (H1,), (H1, H2), (H2,), (H2, 784), (784,)]))
    g = {n: rng.normal(0, 0.5, s).astype(np.float32) for n, s in shapes.items()}
    d_shapes = [(784, H2), (H2,), (H2, H1), (H1,), (H1, 1), (1,)]
    d = {n: rng.normal(0, 0.3, s).astype(np.float32) for n, s in zip(rejection.D_NAMES, d_shapes)}
    d[rejection.MBSTD] = np.array([[2.0]], np.float32)
    return g, rejection.Discriminator(d, leak=0.2, group=GROUP)


def numpy_energy(g, disc, z):
    """E(z) in float64: G in numpy, then the package's numpy D."""
    h = np.maximum(z @ g["g_w1"] + g["g_b1"], 0)
    h = np.maximum(h @ g["g_w2"] + g["g_b2"], 0)
    x = np.tanh(h @ g["g_w3"] + g["g_b3"])
    return 0.5 * np.sum(z * z, 1) - disc.logits(x)


def test_pieces_are_whole_groups_then_the_short_one():
    assert refine.pieces(10, 3, chunk=7) == [(0, 6), (6, 9), (9, 10)]
    assert refine.pieces(6, 3) == [(0, 6)]
    assert refine.pieces(2, 3) == [(0, 2)]
    assert refine.pieces(5, 1, chunk=2) == [(0, 2), (2, 4), (4, 5)]
    assert refine.pieces(0, 3) == []


def test_the_energy_and_its_gradient_are_the_numpy_g_and_d_s():
    g, disc = tiny_weights()
    r = refine.Refiner(g, disc)
    z = np.random.default_rng(1).standard_normal((7, Z)).astype(np.float32)  # 2 groups, 1 short
    np.testing.assert_allclose(r.energies(z), numpy_energy(g, disc, z.astype(np.float64)),
                               rtol=1e-4, atol=1e-4)
    grad = np.concatenate([r.sess.run(r.grad, {r.z: z[a:b]}) for a, b in refine.pieces(7, GROUP)])
    # the derivative of the summed energy along random directions, by central differences
    rng, z64, h = np.random.default_rng(2), z.astype(np.float64), 1e-4
    for _ in range(3):
        v = rng.standard_normal(z.shape)
        diff = (numpy_energy(g, disc, z64 + h * v).sum()
                - numpy_energy(g, disc, z64 - h * v).sum()) / (2 * h)
        assert np.sum(grad * v) == pytest.approx(diff, rel=1e-3, abs=1e-3)
    r.close()


def test_steps_go_down_the_energy_and_zero_steps_are_g():
    g, disc = tiny_weights()
    r = refine.Refiner(g, disc)
    z = np.random.default_rng(3).standard_normal((9, Z)).astype(np.float32)
    gen = Generator(g)
    np.testing.assert_allclose(r(z, 0), gen(z), atol=1e-6)
    moved = r.noise(z, 20, step=0.05)
    assert r.energies(moved).sum() < r.energies(z).sum()
    assert not np.array_equal(moved, z) and np.array_equal(r.noise(z, 20, step=0.05), moved)
    np.testing.assert_allclose(r(z, 20, step=0.05), gen(moved), atol=1e-6)
    # a group's rows move together (the minibatch feature), other groups not
    np.testing.assert_array_equal(r.noise(z[:3], 20, step=0.05), moved[:3])
    gen.close(); r.close()


def test_draw_refines_plain_or_rejected_noise_by_seed():
    src = sources.load(pretrained=True)
    plain, _ = sources.draw(src, 64, 5)
    x, how = sources.draw(src, 64, 5, refine=3)
    assert how.startswith("refined by 3 gradient steps") and x.shape == (64, 784)
    assert not np.array_equal(x, plain) and np.abs(x - plain).mean() < 0.05  # a nudge
    np.testing.assert_array_equal(sources.draw(src, 64, 5, refine=3)[0], x)
    both, how = sources.draw(src, 64, 5, rejection=50, refine=3)
    assert how.startswith("drawn with discriminator rejection") and ", then refined by 3" in how
    drs, _ = sources.draw(src, 64, 5, rejection=50)
    assert not np.array_equal(both, drs) and not np.array_equal(both, x)


def test_generate_and_evaluate_say_they_refined(tiny_run, tmp_path, capsys):
    prefix = checkpoints.find(str(tiny_run))
    generate.main(["--checkpoint", prefix, "--refine", "2", "--num", "16",
                   "--out", str(tmp_path / "g.png")])
    assert "refined by 2 gradient steps" in capsys.readouterr().out
    assert evaluate.main(["--checkpoint", prefix, "--refine", "2", "--rejection", "50",
                          "--num", "200", "--no-floor", "--data-dir", DATA,
                          "--json", str(tmp_path / "e.json")]) == 0
    saved = json.loads((tmp_path / "e.json").read_text())
    assert saved["sampling"]["refine_steps"] == 2
    assert saved["sampling"]["rejection_percentile"] == 50
    assert "then refined by 2" in saved["sampling"]["drawn"]


@pytest.mark.parametrize("argv, words", [
    (["--refine", "0"], "--refine 0: must be 1 to 1000"),
    (["--refine", "1001"], "--refine 1001: must be 1 to 1000"),
    (["--refine", "3", "--interpolate"], "not with --interpolate"),
    (["--refine", "x"], "invalid int value"),
])
def test_a_bad_refine_flag_is_one_line(argv, words, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        generate.main(["--pretrained", "--out", str(tmp_path / "g.png"), *argv])
    assert e.value.code == 2 and words in capsys.readouterr().err
    assert not (tmp_path / "g.png").exists()


def test_evaluate_refuses_refine_for_images(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((200, 28, 28), np.uint8))
    with pytest.raises(SystemExit) as e:
        evaluate.main(["--images", str(tmp_path / "x.npy"), "--refine", "3"])
    assert e.value.code == 2 and "--refine" in capsys.readouterr().err
