"""Finding the trials whose worker died, and giving each a folder.

Three ways a trial outlives its worker, and what happens to it:

- On this machine (any kill, SIGKILL included): the trial stays RUNNING in
  the storage and its claim (``claims``) is free. The next worker of this
  machine to choose a trial ``adopt``s it: same Optuna trial, same folder,
  resumed from its newest checkpoint, so it finishes, and is counted, once.
- On another machine: nobody here can see its claim, but its heartbeats
  stop. After ``storage.GRACE`` seconds any worker's ``fail_stale`` marks it
  FAIL and Optuna's retry callback queues a WAITING copy with its
  parameters and user attributes; ``home_for`` gives that copy the old
  folder when it is on this machine (resumed), else a new one (the same
  configuration and seed, from scratch: the same figures).
- Killed between asking for a trial and recording its folder (a moment):
  RUNNING with no folder and no heartbeat, so ``expire_unclaimed`` fails it
  after the grace period; it trained nothing.
"""

import datetime
import os
import warnings

from ..errors import UsageError
from . import claims
from .storage import GRACE, TRIALS_DIR


def fail_stale(study):
    """Fail (and so retry) the trials whose heartbeat stopped, anywhere."""
    import optuna
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def adopt(study, trials, host):
    """(frozen trial, claim) of a RUNNING trial of this machine whose
    worker is gone, now claimed by this process; None if there is none."""
    from optuna.trial import TrialState
    for t in sorted(trials, key=lambda t: t.number):
        home = t.user_attrs.get("home")
        if t.state != TrialState.RUNNING or t.user_attrs.get("host") != host or not home:
            continue
        claim = claims.take(home, t.number)
        if claim is None:
            continue  # its worker is alive
        fresh = study._storage.get_trial(t._trial_id)
        if fresh.state == TrialState.RUNNING:  # not failed as stale meanwhile
            return fresh, claim
        claim.release()
    return None


def expire_unclaimed(study, trials):
    """Fail RUNNING trials that never got a folder and are older than the
    grace period (their worker died right after asking for them)."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.trial import TrialState
    now = datetime.datetime.now()
    for t in trials:
        start = t.datetime_start
        if (t.state == TrialState.RUNNING and "home" not in t.user_attrs and start
                and (now - start).total_seconds() > GRACE):
            try:
                study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
            except UpdateFinishedTrialError:
                pass  # another worker was first


def requeue(study, frozen):
    """Queue a WAITING copy of ``frozen`` (its parameters, attributes and
    retry history), as Optuna's retry callback does: for a trial this
    worker took but must hand back untrained."""
    import optuna
    system = {k: v for k, v in frozen.system_attrs.items()}
    if frozen.params:
        study.add_trial(optuna.trial.create_trial(
            state=optuna.trial.TrialState.WAITING, params=frozen.params,
            distributions=frozen.distributions, user_attrs=frozen.user_attrs,
            system_attrs=system))
    elif "fixed_params" in system:  # a queued first trial, not yet suggested
        study.enqueue_trial(system["fixed_params"], user_attrs=frozen.user_attrs)


def home_for(study_dir, number, attrs, host):
    """(folder, claim, inherited) for trial ``number`` with user attributes
    ``attrs``: a retry's old folder when it is on this machine and free,
    else ``STUDY/trials/<number>``. Raises UsageError when that folder
    already holds files (another study's)."""
    old = attrs.get("home")
    if old and attrs.get("host") == host:
        claim = claims.take(old, number)
        if claim is not None:
            return old, claim, True
    home = os.path.abspath(os.path.join(study_dir, TRIALS_DIR, f"{number:04d}"))
    if os.path.isdir(home) and os.listdir(home):
        raise UsageError(f"{home}: holds files of another study; move it away, "
                         "or use another --study folder")
    claim = claims.take(home, number)
    if claim is None:
        raise UsageError(f"{home}: claimed by another process; move it away, or "
                         "use another --study folder")
    return home, claim, False
