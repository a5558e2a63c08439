"""time_to_quality.py: minutes to each target, on tiny runs."""

import importlib.util
import os

import pytest

# The instruments' tests: in the full suite, not in the fast tier.
pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))


def _script(name):
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(*evals, seconds=30.0):
    """Epochs of ``seconds`` each; ``evals`` gives (fid, mnist_score) for
    epochs 2, 4, ... and nothing for the others."""
    rows = []
    for i, (fid, score) in enumerate(evals):
        rows.append(dict(epoch=2 * i, seconds=seconds))
        rows.append(dict(epoch=2 * i + 1, seconds=seconds, fid=fid,
                         mnist_score=score, class_kl=0.01 * (i + 1), precision=0.7,
                         recall=0.5 + 0.1 * i, class_entropy=2.2 + 0.01 * i,
                         sample_entropy=0.2 - 0.01 * i))
    return rows


def test_first_reached_counts_training_seconds_up_to_the_evaluation():
    runlib = _script("runlib")
    rows = _rows((300.0, 5.0), (40.0, 7.0), (20.0, 8.0), (4.0, 9.1))
    assert runlib.first_reached(rows, {"fid": ("<=", 25.1)}) == (6, 180.0)
    assert runlib.first_reached(rows, {"fid": ("<=", 5.0),
                                       "mnist_score": (">=", 9.0)}) == (8, 240.0)
    assert runlib.first_reached(rows, {"fid": ("<=", 1.0)}) is None


def test_table_gives_mean_and_range_over_seeds_and_says_what_was_missed():
    ttq = _script("time_to_quality")
    results = {
        "fast": {1: _rows((30.0, 7.0), (20.0, 8.0), seconds=60.0),
                 2: _rows((24.0, 7.5), (10.0, 8.5), seconds=60.0)},
        "defaults": {1: _rows((900.0, 2.0), (500.0, 3.0))},
    }
    lines = ttq.table(results).strip().split("\n")
    assert lines[0].startswith("| configuration | seeds | minutes to FID <= 25.1")
    # seed 1 reaches FID 20 after 4 epochs (4 minutes), seed 2 after 2 (2 minutes)
    # then the last evaluation's figures, mean (range)
    assert lines[2] == ("| fast | 1 2 | 3.0 (2.0-4.0) | 3 (2-4) | not within 4 epochs"
                        " |  | 4 | 15.00 (10.00-20.00) | 8.25 (8.00-8.50) | 0.020 |"
                        " 0.700 | 0.600 | 2.2100 | 0.1900 |")
    assert lines[3].startswith("| defaults | 1 | not within 4 epochs |  | not within")
    # a run that did not record the terms shows "-" for them
    for row in results["fast"][2]:
        row.pop("class_entropy", None)
    assert ttq.table(results).split("\n")[2].endswith("| 0.600 | - | 0.1900 |")


def test_without_only_it_trains_the_defaults_and_the_recipes_alone(tmp_path, monkeypatch):
    ttq = _script("time_to_quality")
    trained = []
    monkeypatch.setattr(ttq, "train", lambda name, seed, args: trained.append((name, seed)))
    monkeypatch.setattr(ttq, "collect", lambda out: {})
    monkeypatch.setattr(ttq, "table", lambda results: "")
    monkeypatch.setattr(ttq, "plot", lambda results, path: None)
    ttq.main(["--out", str(tmp_path), "--seeds", "1"])
    assert trained == [(n, 1) for n in ("defaults", "improved", "fast", "quality",
                                        "fast-bfloat16", "fast-xla")]
    trained.clear()
    ttq.main(["--out", str(tmp_path), "--seeds", "2", "--only", "improved-r1"])
    assert trained == [("improved-r1", 2)]
