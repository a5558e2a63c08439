"""ablation.py: its runs, table and pictures on tiny configurations."""

import importlib.util
import os

import numpy as np
import pytest

# The instruments' tests: in the full suite, not in the fast tier.
pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))


def _ablation():
    spec = importlib.util.spec_from_file_location(
        "ablation", os.path.join(HERE, "ablation.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(figures_by_epoch):
    return [dict(epoch=e - 1, fid=f, mnist_score=s, class_kl=k, precision=0.5,
                 recall=0.5) for e, (f, s, k) in figures_by_epoch.items()]


def test_configurations_are_the_defaults_each_recipe_option_alone_and_the_recipe():
    assert _ablation().CONFIGS == {
        "defaults": [],
        "learning-rate=0.0002": ["--learning-rate", "0.0002"],
        "batch-size=32": ["--batch-size", "32"],
        "beta1=0.5": ["--beta1", "0.5"],
        "shuffle": ["--shuffle"],
        "label-smoothing=0.1": ["--label-smoothing", "0.1"],
        "init=glorot": ["--init", "glorot"],
        "leaky-relu=0.2": ["--leaky-relu", "0.2"],
        "g-average=0.999": ["--g-average", "0.999"],
        "recipe": ["--recipe", "improved"],
    }


def test_verdict_checks_the_three_targets():
    ab = _ablation()
    base = _rows({30: (700.0, 2.3, 0.6), 50: (380.0, 3.9, 0.3)})
    good = _rows({30: (150.0, 7.0, 0.04), 50: (30.0, 8.1, 0.02)})
    bad = _rows({30: (200.0, 7.0, 0.04), 50: (30.0, 7.9, 0.08)})
    text = ab.verdict({"defaults": base, "recipe": good})
    assert text.count("- met:") == 3 and "ratio 0.214" in text
    text = ab.verdict({"defaults": base, "recipe": bad})
    assert text.count("- MISSED:") == 3
    assert ab.verdict({"defaults": base}) == ""
    table = ab.table({"defaults": base})
    assert "| defaults | 30 | 700.000 | 2.300 | 0.600 |" in table


def test_grids_put_one_run_per_row_and_one_epoch_per_column(tmp_path):
    from skimage.io import imread

    from gan_mnist.rundir import grid
    ab = _ablation()
    for run, shade in (("a", -1.0), ("b", 1.0)):
        os.makedirs(tmp_path / run)
        for e in (10, 30):
            grid.save_grid(str(tmp_path / run / f"sample{e - 1}.jpg"),
                           np.full((64, 784), shade, np.float32))
    ab.side_by_side([str(tmp_path / "a"), str(tmp_path / "b")], [10, 30],
                    str(tmp_path / "g.png"))
    img = imread(tmp_path / "g.png")
    assert img.shape == (2 * 259 + 10, 2 * 259 + 10)
    assert img[:259, :259].mean() < 128 < img[269:, 269:].mean()


def test_summary_has_a_row_per_configuration_and_a_column_per_evaluation():
    ab = _ablation()
    base = _rows({10: (1400.0, 1.0, 2.3), 20: (900.0, 1.1, 2.2)})
    fast = _rows({10: (60.0, 6.8, 0.07), 20: (27.0, 7.6, 0.02)})
    text = ab.summary({"defaults": base, "recipe": fast}, last=20)
    lines = text.strip().split("\n")
    assert lines[0].startswith("| configuration | FID 10 | FID 20 | mnist_score 20")
    assert lines[2] == "| defaults | 1400.0 | 900.0 | 1.100 | 2.200 | 0.500 | 0.500 |"
    assert len(lines) == 4
