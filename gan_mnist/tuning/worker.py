"""One worker: take a trial, train it, tell Optuna, until the study is done.

``work(settings)`` runs the loop in this process. Each round, under the
study folder's lock (so the workers of this machine choose one at a time),
it takes, in this order: a trial of this machine whose worker died
(``recovery.adopt``), else a new one from Optuna's ``ask`` (a queued first
trial or retry, or a sampled configuration), but only while the finished
(COMPLETE, PRUNED) and running trials together are fewer than
``settings.trials``: the total is the study's, shared by every worker,
here or elsewhere, so N trials finish, not N per worker. A worker whose
choice was beaten by one on another machine at the same moment hands its
untrained trial back.

The trial's record (user attributes): ``seed``, ``home`` (its folder),
``host``, ``threads``, ``command`` (the train command that reproduces it),
``curve`` (figures at each evaluation), and at the end ``epochs``,
``train_minutes``, ``wall_seconds``, ``last_eval`` and, if it failed,
``error``.
"""

import collections
import os
import random
import sys
import time

from ..cli import Terminated, exit_with
from ..errors import UsageError
from . import claims, recovery, report, storage
from . import trial as runner
from ..measure.figures import TERMS
from .space import FIGURES

Settings = collections.namedtuple("Settings", "study_dir url name trials threads")
FINISHED = ("COMPLETE", "PRUNED")
MAX_FAILS = 3  # failed trials in a row before a worker gives up


def _counts(trials):
    states = collections.Counter(t.state.name for t in trials)
    return sum(states[s] for s in FINISHED), states["RUNNING"]


class Worker:
    def __init__(self, settings):
        self.s = settings
        self.store = storage.connect(settings.url)
        self.study, self.space = storage.open_study(self.store, settings.name, create=False)
        self.host = claims.host_id()
        self.fails, self.total = 0, settings.trials

    # ---------------------------------------------------------- choosing ---

    def next_job(self):
        """A dict describing the trial to run, "wait", or None when done."""
        recovery.fail_stale(self.study)
        # The study's total, which a later `tune --trials N` anywhere may raise.
        self.total = self.study.user_attrs.get("trials") or self.s.trials
        trials = self.study.get_trials(deepcopy=False)
        finished, running = _counts(trials)
        if finished >= self.total:
            return None
        adopted = recovery.adopt(self.study, trials, self.host)
        if adopted:
            frozen, claim = adopted
            self.store.record_heartbeat(frozen._trial_id)
            return self._job(frozen, claim, frozen.user_attrs["threads"])
        recovery.expire_unclaimed(self.study, trials)
        if finished + running >= self.total:
            return "wait"  # the others' trials may still fail
        trial = self.study.ask()
        self.store.record_heartbeat(trial._trial_id)  # stale-able from now on
        trials = self.study.get_trials(deepcopy=False)
        finished, running = _counts(trials)
        if finished + running > self.total and trial.number == max(
                t.number for t in trials if t.state.name == "RUNNING"):
            self._hand_back(trial)
            return "wait"
        self._suggest(trial)
        attrs = trial.user_attrs  # a retry's are its original's
        home, claim, inherited = recovery.home_for(self.s.study_dir, trial.number,
                                                   attrs, self.host)
        seed = attrs.get("seed", self.space.trial_seed(trial.number))
        threads = attrs.get("threads") if inherited else self.s.threads
        output = os.path.join(home, "run")
        command = runner.shell_command(
            output, self.space.train_flags(self._params(trial), seed), threads)
        # home and host last: with both set, the trial can be adopted
        for key, value in dict(seed=seed, threads=threads, command=command,
                               home=home, host=self.host).items():
            trial.set_user_attr(key, value)
        return self._job(self.store.get_trial(trial._trial_id), claim, threads)

    def _suggest(self, trial):
        for name, p in self.space.search.items():
            if p.kind == "choice":
                trial.suggest_categorical(name, p.choices)
            elif p.kind == "int":
                trial.suggest_int(name, p.low, p.high, step=p.step or 1, log=p.log)
            else:
                trial.suggest_float(name, p.low, p.high, step=p.step, log=p.log)

    def _params(self, trial):
        return {name: trial.params[name] for name in self.space.search}

    def _hand_back(self, trial):
        import optuna
        frozen = self.store.get_trial(trial._trial_id)
        recovery.requeue(self.study, frozen)
        trial.set_user_attr("not_run", "the study had its trials already")
        self.study.tell(trial, state=optuna.trial.TrialState.FAIL)

    def _job(self, frozen, claim, threads):
        import optuna
        a = frozen.user_attrs
        flags = self.space.train_flags(self._params(frozen), a["seed"])
        return dict(frozen=frozen, claim=claim, threads=threads, flags=flags,
                    trial=optuna.trial.Trial(self.study, frozen._trial_id),
                    output=os.path.join(a["home"], "run"), home=a["home"])

    # ----------------------------------------------------------- running ---

    def run_job(self, job):
        """Train the job's trial and tell Optuna how it ended."""
        import optuna
        frozen, trial, fig = job["frozen"], job["trial"], self.space.objective
        curve = dict(frozen.user_attrs.get("curve") or {})
        lost, beat, started = [], [time.time()], time.time()

        def on_evaluation(step, minutes, row):
            try:
                trial.report(row[fig], step)
                curve[str(step)] = [round(minutes, 4)] + [row.get(k) for k in FIGURES]
                trial.set_user_attr("curve", curve)
                # After the last epoch there is nothing left to save: the
                # trial is complete, however it compares.
                return step < self.space.epochs and trial.should_prune()
            except optuna.exceptions.UpdateFinishedTrialError:
                lost.append(step)  # failed as stale: a retry has it now
                return True

        def on_poll():
            if time.time() - beat[0] >= storage.HEARTBEAT:
                self.store.record_heartbeat(frozen._trial_id)
                beat[0] = time.time()

        try:
            outcome = runner.run(
                job["output"], job["flags"], figure=fig, threads=job["threads"],
                log=os.path.join(job["home"], "train.log"), on_evaluation=on_evaluation,
                on_poll=on_poll, seen=set(frozen.intermediate_values))
            if lost:
                print(f"trial {frozen.number}: taken over by another worker (its "
                      "heartbeat was late); left to it", flush=True)
                return
            self._finish(job, outcome, time.time() - started)
        finally:
            job["claim"].release()

    def _finish(self, job, outcome, seconds):
        from optuna.trial import TrialState
        frozen, trial = job["frozen"], job["trial"]
        if outcome.status == "interrupted":  # stays RUNNING: resumed next time
            raise Terminated() if outcome.returncode in (143, -15) else KeyboardInterrupt()
        # What Optuna was told: a pruned run may have trained a step more.
        told = self.store.get_trial(frozen._trial_id).intermediate_values
        evals = [e for e in runner.evaluations(outcome.rows, self.space.objective)
                 if e[0] in told]
        curve = {str(step): [round(minutes, 4)] + [row.get(k) for k in FIGURES]
                 for step, minutes, row in evals}
        attrs = dict(curve=curve,
                     epochs=max((r["epoch"] + 1 for r in outcome.rows), default=0),
                     train_minutes=round(sum(r.get("seconds", 0) for r in outcome.rows) / 60, 4),
                     wall_seconds=round(frozen.user_attrs.get("wall_seconds", 0) + seconds, 1))
        if evals:
            attrs["last_eval"] = dict({k: evals[-1][2].get(k) for k in (*FIGURES, *TERMS)},
                                      epochs=evals[-1][0])
        if outcome.status in ("refused", "failed"):
            attrs["error"] = outcome.line[:300]
        for key, value in attrs.items():
            trial.set_user_attr(key, value)
        value, state = None, TrialState.FAIL
        if outcome.status == "stopped":
            state = TrialState.PRUNED
        elif outcome.status == "complete" and evals and evals[-1][0] == self.space.epochs:
            state, value = TrialState.COMPLETE, evals[-1][2][self.space.objective]
        self.study.tell(trial, value, state=state)
        self._progress(frozen.number, state.name, attrs)
        if outcome.status == "refused":
            raise UsageError(f"trial {frozen.number}: {outcome.line} (log: "
                             f"{job['home']}/train.log)")
        self.fails = self.fails + 1 if state == TrialState.FAIL else 0
        if self.fails >= MAX_FAILS:
            raise UsageError(f"{MAX_FAILS} trials failed in a row, the last "
                             f"{frozen.number}: {outcome.line} (log: {job['home']}/"
                             "train.log); check the space's fixed options")

    def _progress(self, number, state, attrs):
        trials = self.study.get_trials(deepcopy=False)
        finished, running = _counts(trials)
        walls = [t.user_attrs["wall_seconds"] for t in trials
                 if t.state.name in FINISHED and "wall_seconds" in t.user_attrs]
        left = max(0, self.total - finished)
        print(report.progress_line(number, state, self.space.objective,
                                   attrs.get("last_eval"), attrs, finished, left,
                                   report.eta(walls, left, running + 1)), flush=True)


def work(settings):
    """Run one worker until the study has ``settings.trials`` finished."""
    w = Worker(settings)
    while True:
        with claims.study_lock(settings.study_dir):
            job = w.next_job()
        if job is None:
            return
        if job == "wait":
            time.sleep(1 + random.random())
            continue
        w.run_job(job)


def process_main(settings, parent):
    """Entry of a worker process of ``tune --jobs N``: it ends with its
    parent (and so do its train children), and reports as the command."""
    import signal
    runner.die_with_parent()
    if os.getppid() != parent:
        return
    def terminated(signum, frame):
        raise Terminated()

    signal.signal(signal.SIGTERM, terminated)
    try:
        work(settings)
    except UsageError as e:
        exit_with(e, "python -m gan_mnist.tune")
    except KeyboardInterrupt:
        sys.exit(130)
    except Terminated:
        sys.exit(143)
