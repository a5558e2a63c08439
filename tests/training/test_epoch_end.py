"""What each epoch leaves in the run folder: the evaluation figures in metrics.csv."""

import numpy as np

from gan_mnist.measure.figures import FIGURES
from gan_mnist.rundir.metrics_csv import read_rows


def test_eval_every_adds_figures_to_metrics_csv(tiny_run):
    rows = read_rows(tiny_run / "metrics.csv")
    assert "fid" not in rows[0]
    for key in FIGURES:
        assert np.isfinite(rows[1][key]), key
    assert rows[1]["fid"] > 0 and 1 <= rows[1]["mnist_score"] <= 10
