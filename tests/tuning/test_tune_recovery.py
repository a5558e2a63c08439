"""Recovering trials whose worker died, without training: claims,
adoption on this machine, and Optuna's heartbeat retry for other machines."""

import os
import time

import pytest

from gan_mnist.errors import UsageError
from gan_mnist.tuning import claims, recovery, storage


optuna = pytest.importorskip("optuna")
# Heartbeats and their retry are experimental in Optuna; the tuner hides
# that note, pytest would show it.
pytestmark = [pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
              pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")]
HOST = claims.host_id()


def new_study(tmp_path, heartbeat=None):
    """A study on SQLite; ``heartbeat``: (interval, grace) in seconds, with
    the tuner's retry of trials whose heartbeat stopped."""
    url = "sqlite:///" + str(tmp_path / "study.db")
    kwargs = storage.heartbeat_kwargs(*heartbeat) if heartbeat else {}
    return optuna.create_study(storage=optuna.storages.RDBStorage(url, **kwargs))


def running(study, home, host=HOST):
    t = study.ask()
    t.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
    for key, value in dict(seed=t.number, threads=1, home=str(home), host=host).items():
        t.set_user_attr(key, value)
    return t


def test_a_claim_is_free_exactly_when_its_holder_is_gone(tmp_path):
    home = tmp_path / "trials" / "0000"
    assert claims.is_free(str(home))
    first = claims.take(str(home), 0)
    assert first is not None and not claims.is_free(str(home))
    assert claims.take(str(home), 0) is None  # a second holder is refused
    first.release()
    assert claims.is_free(str(home))
    again = claims.take(str(home), 0)
    assert again is not None
    again.release()
    log = (home / claims.CLAIMS_LOG).read_text().splitlines()
    assert len(log) == 2 and all(f"pid {os.getpid()}" in ln for ln in log)


def test_a_dead_workers_trial_is_adopted_once(tmp_path):
    study = new_study(tmp_path)
    home = tmp_path / "trials" / "0000"
    held = claims.take(str(home), 0)  # its worker, alive
    t = running(study, home)
    running(study, tmp_path / "elsewhere", host="another-machine")
    trials = study.get_trials()
    assert recovery.adopt(study, trials, HOST) is None
    held.release()  # the worker dies
    frozen, claim = recovery.adopt(study, study.get_trials(), HOST)
    assert frozen.number == t.number and frozen.user_attrs["home"] == str(home)
    # while this worker has it, nobody else adopts it
    assert recovery.adopt(study, study.get_trials(), HOST) is None
    claim.release()
    # a finished trial is never adopted
    study.tell(t, 1.0)
    assert recovery.adopt(study, study.get_trials(), HOST) is None


def test_a_retry_inherits_its_folder_on_its_machine_only(tmp_path):
    old = tmp_path / "trials" / "0003"
    old.mkdir(parents=True)
    (old / "run").mkdir()
    home, claim, inherited = recovery.home_for(str(tmp_path), 7, {"home": str(old),
                                                                  "host": HOST}, HOST)
    assert (home, inherited) == (str(old), True)
    # while it is held, another retry gets its own folder
    home2, claim2, inherited2 = recovery.home_for(str(tmp_path), 8, {"home": str(old),
                                                                     "host": HOST}, HOST)
    assert (home2, inherited2) == (str(tmp_path / "trials" / "0008"), False)
    claim.release()
    claim2.release()
    home3, claim3, inherited3 = recovery.home_for(str(tmp_path), 9, {"home": str(old),
                                                                     "host": "other"}, HOST)
    assert (home3, inherited3) == (str(tmp_path / "trials" / "0009"), False)
    claim3.release()
    (tmp_path / "trials" / "0010").mkdir()
    (tmp_path / "trials" / "0010" / "x").write_text("")
    with pytest.raises(UsageError, match="0010: holds files of another study"):
        recovery.home_for(str(tmp_path), 10, {}, HOST)


def test_a_trial_silent_past_its_grace_period_is_retried_with_its_record(tmp_path):
    study = new_study(tmp_path, heartbeat=(1, 1))
    t = running(study, tmp_path / "trials" / "0000", host="machine-that-died")
    study._storage.record_heartbeat(t._trial_id)
    time.sleep(2.5)
    recovery.fail_stale(study)
    old, retry = study.get_trials()
    assert old.state.name == "FAIL" and retry.state.name == "WAITING"
    assert retry.params == old.params
    assert retry.user_attrs == old.user_attrs  # folder, machine, seed
    # a worker's ask takes the retry first, with the same parameters
    popped = study.ask()
    assert popped.number == retry.number
    assert popped.suggest_float("learning_rate", 1e-4, 1e-2, log=True) == \
        old.params["learning_rate"]


def test_handing_back_requeues_the_same_configuration(tmp_path):
    study = new_study(tmp_path)
    study.enqueue_trial({"learning_rate": 2e-3}, user_attrs={"seed": 4})
    t = study.ask()
    t.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
    recovery.requeue(study, study._storage.get_trial(t._trial_id))
    study.tell(t, state=optuna.trial.TrialState.FAIL)
    again = study.ask()
    assert again.number == 1
    assert again.suggest_float("learning_rate", 1e-4, 1e-2, log=True) == 2e-3
    assert again.user_attrs["seed"] == 4


def test_a_trial_that_never_got_a_folder_expires(tmp_path, monkeypatch):
    study = new_study(tmp_path)
    t = study.ask()
    monkeypatch.setattr(recovery, "GRACE", 3600)
    recovery.expire_unclaimed(study, study.get_trials())
    assert study.get_trials()[0].state.name == "RUNNING"  # may be just asked
    monkeypatch.setattr(recovery, "GRACE", -1)
    recovery.expire_unclaimed(study, study.get_trials())
    assert study.get_trials()[0].state.name == "FAIL"
    assert t.number == 0
