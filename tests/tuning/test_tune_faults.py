"""A worker killed with SIGKILL in the middle of a trial loses nothing: its
train child does not live on, and the restarted worker finishes the trial
with exactly the figures of an uninterrupted run."""

import os
import shlex
import signal
import subprocess
import sys
import time

import pytest

from gan_mnist.tuning import claims, report
from tuning_helpers import ROOT, claims_log, load, metrics, sqlite, tiny_space, tune, tune_argv


pytest.importorskip("optuna")


def wait_for(check, timeout, what):
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def without_seconds(rows):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


@pytest.mark.slow
def test_a_killed_worker_is_resumed_exactly(tmp_path, study_dir):
    space = tiny_space(tmp_path, epochs=6, eval_every=2)
    run = study_dir / "trials" / "0000" / "run"
    worker = subprocess.Popen(tune_argv("--study", study_dir, "--space", space,
                                        "--trials", 1),
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: (run / "model-2.index").exists() or worker.poll() is not None,
                 180, "the trial's second epoch")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert worker.returncode == -signal.SIGKILL, worker.stderr.read()
    # The train child is told by the kernel that its parent died, stops
    # within a step and lets go of the folder.
    wait_for(lambda: claims.run_lock_holder(str(run)) is None, 60, "the child to stop")
    assert len(metrics(run)) < 6  # killed mid-trial
    (t,) = load(sqlite(study_dir)).get_trials()
    assert t.state.name == "RUNNING"  # as far as the storage knows

    # Restart the worker, and meanwhile train the same trial alone,
    # uninterrupted, with the command that the report prints for it.
    again = report.rerun_command(t.user_attrs["command"], t.number)
    words = shlex.split(again)
    env = {w.split("=", 1)[0]: w.split("=", 1)[1] for w in words[:words.index("python")]}
    argv = [sys.executable] + words[words.index("python") + 1:]
    alone_run = subprocess.Popen(argv, cwd=tmp_path, env=dict(os.environ, **env),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    r = tune("--study", study_dir, "--space", space, "--trials", 1)
    assert alone_run.wait(180) == 0, alone_run.stderr.read()
    assert r.returncode == 0, r.stderr
    (t,) = load(sqlite(study_dir)).get_trials()  # the same trial, counted once
    assert (t.number, t.state.name) == (0, "COMPLETE")
    assert len(claims_log(t.user_attrs["home"])) == 2  # claimed twice, in turn
    with open(os.path.join(t.user_attrs["home"], "train.log")) as f:
        starts = [ln for ln in f if ln.startswith("== ")]
    assert len(starts) == 2 and starts[1].rstrip().endswith("--restore")
    alone = metrics(tmp_path / "trial-0000")
    assert len(alone) == 6
    assert without_seconds(metrics(run)) == without_seconds(alone)
    assert t.value == float(alone[-1]["fid"])
    assert t.intermediate_values == {e: float(alone[e - 1]["fid"]) for e in (2, 4, 6)}
    rep = tune("--study", study_dir, "--report")
    assert rep.returncode == 0, rep.stderr
    assert f"again: {again}" in rep.stdout  # the command that was run alone
