"""Two tune commands, as on two machines (each with its own study folder),
share one study in a real PostgreSQL server."""

import json
import os
import subprocess

import pytest

from tuning_helpers import ROOT, claims_log, tiny_space, tune_argv

pytest.importorskip("optuna")


@pytest.mark.slow
def test_two_machines_share_a_postgres_study(tmp_path, postgres_url):
    space = tiny_space(tmp_path)
    folders = [tmp_path / "machine-a", tmp_path / "machine-b"]
    procs = [subprocess.Popen(tune_argv("--study", d, "--space", space, "--storage",
                                        postgres_url, "--trials", 2),
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for d in folders]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "2 of 2 trials finished" in out

    import optuna
    from gan_mnist.tuning import storage
    study = optuna.load_study(study_name="gan_mnist",
                              storage=storage.connect(postgres_url, heartbeat=False))
    trials = study.get_trials()
    assert sorted(t.state.name for t in trials) == ["COMPLETE", "COMPLETE"]
    homes = [t.user_attrs["home"] for t in trials]
    # one trial each, in that machine's own folder, run there once
    for d in folders:
        mine = [h for h in homes if h.startswith(str(d) + os.sep)]
        assert len(mine) == 1, (d, homes)
        assert len(claims_log(mine[0])) == 1
        with open(d / "study.json") as f:
            assert json.load(f) == {"storage": postgres_url, "name": "gan_mnist"}
