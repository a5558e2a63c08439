"""Real trials: workers sharing a study, and the pruner stopping a trial."""

import os

import pytest

from tuning_helpers import (TINY_FIXED, claims_log, load, metrics, sqlite, tiny_space,
                            tune, write_space)

pytest.importorskip("optuna")


def homes(study):
    return {t.number: t.user_attrs.get("home") for t in study.get_trials()}


@pytest.mark.slow
def test_two_workers_share_one_study_and_finish_it(tmp_path, study_dir):
    # Two trials for two workers: the one that finishes first must not start
    # a third while the other's trial still runs.
    r = tune("--study", study_dir, "--space", tiny_space(tmp_path), "--trials", 2,
             "--jobs", 2)
    assert r.returncode == 0, r.stderr
    study = load(sqlite(study_dir))
    trials = study.get_trials()
    assert sorted(t.state.name for t in trials) == ["COMPLETE"] * 2  # 2, not 3 or 4
    folders = list(homes(study).values())
    assert len(set(folders)) == 2
    assert sorted(os.listdir(study_dir / "trials")) == ["0000", "0001"]
    workers = set()
    for t in trials:
        claimed = claims_log(t.user_attrs["home"])
        assert len(claimed) == 1, claimed  # one worker, once, per folder
        workers.add(claimed[0][4])         # its process id
        assert t.user_attrs["threads"] == max(1, len(os.sched_getaffinity(0)) // 2)
        assert len(metrics(os.path.join(t.user_attrs["home"], "run"))) == 2
        assert t.value == float(metrics(os.path.join(t.user_attrs["home"], "run"))[-1]["fid"])
    assert len(workers) == 2  # both took part
    progress = [ln for ln in r.stdout.splitlines() if ln.startswith("trial ")]
    assert len(progress) == 2 and progress[-1].endswith("2 finished, 0 left")


# All trials train with seed 1 and differ only in the learning rate: 1e-7
# leaves G as it was initialised (FID about 1200 throughout), while 2e-3
# brings the FID to about 900 by epoch 2. The first trials are queued in
# that order, the median pruner waits for one complete trial and prunes
# from epoch 2 on, so the second trial must stop at epoch 2 of 6.
PRUNING = f"""epochs = 6
eval_every = 1
eval_num = 100
seed = 1
{TINY_FIXED}
[search]
learning_rate = [2e-3, 1e-7]

[pruner]
kind = "median"
startup_trials = 1
warmup_epochs = 2

[[first]]
learning_rate = 2e-3

[[first]]
learning_rate = 1e-7
"""


@pytest.mark.slow
def test_a_hopeless_trial_is_pruned_early_and_reported(tmp_path, study_dir):
    r = tune("--study", study_dir, "--space", write_space(tmp_path, PRUNING), "--trials", 2)
    assert r.returncode == 0, r.stderr
    good, hopeless = load(sqlite(study_dir)).get_trials()
    assert good.params["learning_rate"] == 2e-3 and good.state.name == "COMPLETE"
    assert sorted(good.intermediate_values) == [1, 2, 3, 4, 5, 6]
    assert hopeless.params["learning_rate"] == 1e-7
    assert hopeless.state.name == "PRUNED"
    assert max(hopeless.intermediate_values) == 2  # the first step it could be
    assert hopeless.intermediate_values[2] > good.intermediate_values[2]
    trained = len(metrics(os.path.join(hopeless.user_attrs["home"], "run")))
    assert trained < 6  # stopped before its last epoch
    assert "trial 1 PRUNED" in r.stdout
    # the report lists both, best first, and draws them
    rep = tune("--study", study_dir, "--report")
    assert rep.returncode == 0, rep.stderr
    lines = rep.stdout.splitlines()
    assert "2 trials (1 complete, 1 pruned)" in lines[0]
    assert lines[1].startswith("1. trial 0 COMPLETE: fid ")
    assert any(ln.startswith("2. trial 1 PRUNED: fid ") for ln in lines)
    assert any("again: " in ln and "--output trial-0000" in ln for ln in lines)
    png = study_dir / "study.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "importances need 2 complete trials, the study has 1" in lines[-1]
