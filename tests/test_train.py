"""The train command: its flags and help, the recipes, and the command end to end."""

import os

import numpy as np
import pytest
from conftest import DATA, checkpoint_values, first_ids, run, small_hp, train_cli
from skimage.io import imread

from gan_mnist import config, train
from gan_mnist._tf import tf
from gan_mnist.rundir import config_json
from gan_mnist.rundir.metrics_csv import read_rows


@pytest.mark.slow
def test_command_end_to_end_with_the_tutorials_sizes(tmp_path):
    out = tmp_path / "output"
    r = train_cli("--output", str(out), "--limit", "512", "--max-epoch", "2", "--seed", "1")
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
    assert config_json.load(str(out)) == config.HParams(
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


@pytest.mark.slow
def test_the_default_command_trains_the_whole_set_with_a_drawn_seed(tmp_path):
    """``python -m gan_mnist.train`` as the README gives it, for one epoch:
    the 60000 images at batch 256 (234 steps, 96 images left over), the
    default folder, a seed drawn, printed and saved."""
    os.symlink(DATA, tmp_path / "MNIST_data")
    r = train_cli("--max-epoch", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "output"
    hp = config_json.load(str(out))
    assert hp._replace(seed=None) == config.HParams(max_epoch=1)
    assert f"seed {hp.seed} (drawn; --seed {hp.seed} repeats this run)" in r.stdout
    assert {"sample0.jpg", "random_sample0.jpg", "model-1.index",
            "model-1.meta", "metrics.csv", "fixed_noise.npy"} <= set(os.listdir(out))
    ckpt = checkpoint_values(out / "model-1")
    assert ckpt["g_w3"].shape == (512, 784) and ckpt["global_step"] == 1
    # Both updates of each of the 234 steps advanced Adam's shared powers.
    assert ckpt["beta2_power"] == pytest.approx(0.999 ** (1 + 2 * 234), rel=1e-5)
    assert [r["epoch"] for r in read_rows(out / "metrics.csv")] == [0]


@pytest.mark.slow
def test_restore_takes_the_runs_config_and_extends_it(tmp_path):
    run(small_hp(tmp_path, max_epoch=1, shuffle=True))
    hp = train.resolve({"output": str(tmp_path), "max_epoch": 2}, restore=True)
    assert hp.shuffle and hp.h1_size == 32 and hp.seed == 7 and hp.max_epoch == 2
    log = run(hp, restore=True)
    assert "epoch 1 " in log
    assert [r["epoch"] for r in read_rows(tmp_path / "metrics.csv")] == [0, 1]


@pytest.mark.parametrize("name", list(config.RECIPES))
def test_recipe_sets_its_flags_and_explicit_flags_win(tmp_path, name):
    out = str(tmp_path / "r")
    plain = train.resolve({"output": out, "seed": 1}, restore=False)
    hp = train.resolve({"output": out, "seed": 1, "recipe": name}, restore=False)
    changed = {f for f in config.DEFAULTS if getattr(hp, f) != getattr(plain, f)}
    assert changed == set(config.RECIPES[name])
    for field, value in config.RECIPES[name].items():
        assert getattr(hp, field) == value
    # the sizes, and so the checkpoints and the generator's file, stay the tutorial's
    assert all(getattr(hp, f) == config.DEFAULTS[f] for f in config.SHAPE_FIELDS)
    hp = train.resolve({"output": out, "recipe": "improved", "beta1": 0.7},
                       restore=False)
    assert hp.beta1 == 0.7 and hp.init == config.RECIPES["improved"]["init"]


@pytest.mark.slow
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
    assert config_json.load(tmp_path).init == config.RECIPES["improved"]["init"]


def test_help_says_exactly_which_flags_the_recipe_sets(capsys):
    text = " ".join(_help(capsys).split())
    assert ("'improved' is --learning-rate 0.0002 --batch-size 32 --beta1 0.5 "
            "--shuffle --label-smoothing 0.1 --init glorot --leaky-relu 0.2 "
            "--g-average 0.999;") in text
    assert ("'fast' is --learning-rate 0.0004 --batch-size 32 --beta1 0.5 "
            "--shuffle --label-smoothing 0.1 --init glorot --leaky-relu 0.2 "
            "--g-average 0.999 --lr-decay 1 --max-epoch 100;") in text
    assert ("'quality' is --learning-rate 0.0004 --batch-size 32 --beta1 0.5 "
            "--shuffle --label-smoothing 0.1 --init glorot --leaky-relu 0.2 "
            "--g-average 0.999 --lr-decay 1 --max-epoch 100 --mbstd") in text


BAD_FLAGS = [
    (["--stop-after", "0"], "--stop-after 0: must be in 1.."),
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
]


@pytest.mark.parametrize("args, words", BAD_FLAGS, ids=first_ids(BAD_FLAGS))
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
