"""runlib.py: a configuration trained, then resumed, through the trial runner."""

import pytest

import runlib

pytestmark = pytest.mark.slow

TINY = ["--h1-size", "16", "--h2-size", "32", "--z-size", "8", "--batch-size", "32"]


def test_a_run_stopped_early_goes_on_where_it_stopped(tmp_path):
    folder = str(tmp_path / "run")
    first = runlib.train_run(folder, TINY, seed=1, max_epoch=2, eval_every=1,
                             eval_num=100, limit=128, stop_after=1)
    assert [r["epoch"] for r in first] == [0] and "fid" in first[0]
    both = runlib.train_run(folder, TINY, seed=1, max_epoch=2, eval_every=1,
                            eval_num=100, limit=128)
    assert [r["epoch"] for r in both] == [0, 1]
    assert both[0] == first[0]  # the resume kept epoch 0's row as it was
    assert runlib.at(both, 2)["fid"] > 0
