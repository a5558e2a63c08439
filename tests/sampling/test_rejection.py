"""Discriminator rejection sampling: its D is the package's D, it keeps the
samples D likes, and generate and evaluate say they drew that way."""

import json

import numpy as np
import pytest
from conftest import DATA, run, small_hp

from gan_mnist import evaluate, generate
from gan_mnist.errors import UsageError
from gan_mnist.rundir import checkpoints
from gan_mnist.sampling import pretrained, rejection, sources


@pytest.fixture(scope="module")
def d_run(tmp_path_factory):
    """A tiny run with every D option the numpy D must follow: leaky relu,
    D's own widths, the minibatch feature and spectral normalisation."""
    folder = tmp_path_factory.mktemp("drs") / "run"
    hp = small_hp(folder, leaky_relu=0.2, d_h1_size=24, d_h2_size=40,
                  mbstd=True, spectral_norm=True, max_epoch=1)
    run(hp)
    return hp, checkpoints.find(str(folder))


def test_its_logits_are_the_package_discriminator_s(d_run):
    hp, prefix = d_run
    from gan_mnist._tf import session, tf
    from gan_mnist.graph import model
    reader = tf.train.load_checkpoint(prefix)
    x = np.random.default_rng(0).uniform(-1, 1, (2 * hp.batch_size, 784)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        ws = [tf.constant(reader.get_tensor(n)) for n in (*rejection.D_NAMES, rejection.MBSTD)]
        for i, name in zip((0, 2, 4), ("d_w1", "d_w2", "d_w3")):
            ws[i], _ = model.spectral_normalize(ws[i], tf.constant(reader.get_tensor(name + "/sn_u")))
        # one batch of fakes at a time: one minibatch group each
        out = [model.discriminator(tf.constant(x[i:i + hp.batch_size]), ws,
                                   leak=hp.leaky_relu, groups=1)
               for i in range(0, len(x), hp.batch_size)]
        want = np.concatenate(session(graph).run(out))[:, 0]
    got = rejection.from_checkpoint(prefix).logits(x)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    assert np.std(got) > 0  # a constant D would pass otherwise


def test_it_keeps_a_share_of_the_draws_of_higher_logit_and_repeats_by_seed(d_run):
    hp, prefix = d_run
    src = sources.load(checkpoint=prefix)
    disc = rejection.from_checkpoint(prefix)
    x, how = sources.draw(src, 2000, 3, rejection=80)
    plain, none = sources.draw(src, 2000, 3)
    assert x.shape == (2000, 784) and none is None
    kept = float(how.split("; ")[1].split("%")[0]) / 100
    assert 0 < kept < 1 and "percentile 80" in how
    assert disc.logits(x).mean() > disc.logits(plain).mean()
    np.testing.assert_array_equal(sources.draw(src, 2000, 3, rejection=80)[0], x)
    assert not np.array_equal(sources.draw(src, 2000, 4, rejection=80)[0], x)


def test_generate_and_evaluate_say_how_they_drew(d_run, tmp_path, capsys):
    _, prefix = d_run
    generate.main(["--checkpoint", prefix, "--rejection", "50", "--out",
                   str(tmp_path / "g.png")])
    assert "drawn with discriminator rejection sampling" in capsys.readouterr().out
    assert evaluate.main(["--checkpoint", prefix, "--rejection", "50", "--num", "200",
                          "--no-floor", "--data-dir", DATA]) == 0
    out = capsys.readouterr().out
    assert out.index("drawn with discriminator rejection") < out.index("FID")
    saved = json.loads(open(prefix + ".rejection50.eval.json").read())
    assert saved["sampling"]["rejection_percentile"] == 50


def test_the_pretrained_file_keeps_d_or_says_it_has_none(d_run, tmp_path):
    _, prefix = d_run
    weights, _ = checkpoints.read_generator(prefix)
    disc = rejection.from_checkpoint(prefix)
    with_d, without = str(tmp_path / "with.npz"), str(tmp_path / "without.npz")
    pretrained.save(with_d, weights, {"recipe": "test"}, disc)
    pretrained.save(without, weights, {"recipe": "test"})
    x = np.random.default_rng(1).uniform(-1, 1, (64, 784)).astype(np.float32)
    back = pretrained.load_discriminator(with_d)
    np.testing.assert_array_equal(back.logits(x), disc.logits(x))
    assert pretrained.load(with_d)[0].keys() == weights.keys()
    with pytest.raises(UsageError, match="keeps no discriminator.*make_pretrained"):
        pretrained.load_discriminator(without)


@pytest.mark.parametrize("argv, words", [
    (["--rejection", "100"], "--rejection 100: must be a percentile"),
    (["--rejection", "-1"], "--rejection -1: must be a percentile"),
    (["--rejection", "50", "--interpolate"], "not with --interpolate"),
])
def test_a_bad_rejection_flag_is_one_line(argv, words, tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        generate.main(["--pretrained", "--out", str(tmp_path / "g.png"), *argv])
    assert e.value.code == 2 and words in capsys.readouterr().err
    assert not (tmp_path / "g.png").exists()
