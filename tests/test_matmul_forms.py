import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts"))

import matmul_forms  # noqa: E402
from gan_mnist import config, gradients  # noqa: E402


def test_cases_are_the_input_gradients_the_step_computes():
    hp = config.HParams(**dict(config.DEFAULTS, batch_size=32))
    got = matmul_forms.cases(hp)
    # G: w2, w3 at B (z is not learnt); D update: w2, w3 at 2B (images are
    # not learnt); G update: all three of D at B.
    assert got == [("g_w2", (256, 512), 32), ("g_w3", (512, 784), 32),
                   ("d_w2", (512, 256), 64), ("d_w3", (256, 1), 64),
                   ("d_w1", (784, 512), 32), ("d_w2", (512, 256), 32),
                   ("d_w3", (256, 1), 32)]
    assert [matmul_forms.package_form(s, n) for _, s, n in got] == [
        "dy . w^T", "(w . dy^T)^T", "dy . w^T", "dy . w^T", "(w . dy^T)^T",
        "dy . w^T", "dy . w^T"]
    assert matmul_forms.package_form((784, 512), 256) == "dy . w^T"


def test_it_times_every_form_and_finds_them_equal(monkeypatch, capsys):
    monkeypatch.setattr(gradients, "SWAP_MIN", 8)
    monkeypatch.setattr(matmul_forms.config, "DEFAULTS", dict(
        matmul_forms.config.DEFAULTS, z_size=4, h1_size=8, h2_size=16))
    matmul_forms.main(["--batch-size", "4", "--rounds", "2", "--calls", "2", "--chain", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert "batch 4" in lines[0] and len(lines) == 8
    assert lines[2].startswith("  g_w3 16x784, n = 4: dy . w^T ")
    assert "(w . dy^T)^T" in lines[2] and lines[2].endswith("-> package: (w . dy^T)^T")
    assert lines[4].startswith("  d_w3 8x1, n = 8") and lines[4].endswith("-> package: dy . w^T")


def test_every_form_is_the_input_gradient():
    from gan_mnist._tf import tf
    rng = np.random.default_rng(0)
    dy, w = rng.standard_normal((5, 3)), rng.standard_normal((7, 3))
    for form, make in matmul_forms.FORMS.items():
        got = make(tf, tf.constant(dy), tf.constant(w)).numpy()
        np.testing.assert_allclose(got, dy @ w.T, rtol=1e-12, err_msg=form)
