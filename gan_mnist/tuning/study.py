"""A study on this machine: check everything, then run N workers.

``tune(study_dir, space, storage, name, trials, jobs)`` resolves the
storage, connects to it, loads or creates the study and checks its space
(all before any trial starts, each failure one line), then runs ``jobs``
workers: in this process for one, else as that many processes, each
telling its train children to use cores / jobs threads. Another machine
joins by running the same command with the same ``--storage``.
"""

import multiprocessing
import os
import time

from ..cli import Terminated
from ..errors import UsageError
from . import storage, worker

DEFAULT_TRIALS = 20


def cores():
    try:
        return len(os.sched_getaffinity(0))  # what this process may use
    except AttributeError:
        return os.cpu_count() or 1


def _check_data(space):
    # Every trial would be refused for it; say so before the first one.
    # Without data_dir a trial reads ./MNIST_data or the packaged files.
    data = space.fixed.get("data_dir")
    if data is not None and not os.path.isdir(data):
        raise UsageError(f"{space.where}: data_dir {data!r}: no such folder (from "
                         f"{os.getcwd()}); run from the folder that holds it, or "
                         "leave data_dir out to use the files packaged with gan_mnist")


def prepare(study_dir, space, storage_flag, name, trials):
    """(settings without threads, space): everything checked, the study
    made if new, study.json written."""
    if space is not None:
        _check_data(space)
    url, name = storage.resolve(study_dir, storage_flag, name)
    os.makedirs(study_dir, exist_ok=True)  # SQLite's file goes there by default
    store = storage.connect(url)
    study, space = storage.open_study(store, name, space, study_dir, create=True)
    _check_data(space)
    storage.remember(study_dir, url, name)
    # The total is the study's: kept in it, so that a restart or another
    # machine goes on to the same number without being told.
    if trials is not None:
        study.set_user_attr("trials", trials)
    trials = trials or study.user_attrs.get("trials") or DEFAULT_TRIALS
    return worker.Settings(os.path.abspath(study_dir), url, name, trials, None), study, space


def tune(study_dir, space, storage_flag, name, trials, jobs):
    settings, study, space = prepare(study_dir, space, storage_flag, name, trials)
    threads = max(1, cores() // jobs)
    settings = settings._replace(threads=threads)
    print(f"study {settings.name!r} in {storage.shown(settings.url)}: "
          f"{settings.trials} trials "
          f"of {space.epochs} epochs, {space.objective} "
          f"({'lower' if space.direction == 'minimize' else 'higher'} is better); "
          f"{jobs} worker(s) here, {threads} thread(s) each; trial folders in "
          f"{os.path.join(settings.study_dir, storage.TRIALS_DIR)}", flush=True)
    if jobs == 1:
        worker.work(settings)
    else:
        _run_processes(settings, jobs)
    _summary(study, space, settings)


def _run_processes(settings, jobs):
    """Start ``jobs`` worker processes and wait for them. A worker that
    hits bad input (status 2) stops the others: they would hit it too. One
    that dies otherwise leaves its trial to the others (they adopt it)."""
    ctx = multiprocessing.get_context("spawn")  # no inherited connections
    procs = [ctx.Process(target=worker.process_main, args=(settings, os.getpid()),
                         name=f"worker-{i}") for i in range(jobs)]
    for p in procs:
        p.start()
    try:
        while any(p.is_alive() for p in procs):
            if any(p.exitcode == 2 for p in procs):
                _stop(procs, wait=60)
                raise SystemExit(2)  # the worker has printed the line
            time.sleep(0.3)
    except KeyboardInterrupt:
        # Ctrl-C reached every process of the terminal's group: the workers
        # are stopping their children already; give them time to.
        _stop(procs, wait=90, signal_first=False)
        raise
    except Terminated:
        _stop(procs, wait=90)
        raise
    if any(p.exitcode == 2 for p in procs):
        raise SystemExit(2)


def _stop(procs, wait, signal_first=True):
    if signal_first:
        for p in procs:
            if p.is_alive():
                p.terminate()  # SIGTERM: each stops its child, keeping its checkpoint
    deadline = time.time() + wait
    for p in procs:
        p.join(max(0.1, deadline - time.time()))
    for p in procs:
        if p.is_alive():
            p.terminate()
            p.join(10)


def _summary(study, space, settings):
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state.name in worker.FINISHED]
    complete = [t for t in done if t.state.name == "COMPLETE"]
    total = study.user_attrs.get("trials") or settings.trials  # raised meanwhile?
    line = f"{len(done)} of {total} trials finished"
    if complete:
        best = (min if space.direction == "minimize" else max)(complete, key=lambda t: t.value)
        line += f"; best: trial {best.number}, {space.objective} {best.value:.4g}"
    print(f"{line}; see python -m gan_mnist.tune --report --study "
          f"{settings.study_dir}", flush=True)
    if len(done) < total:
        raise UsageError(f"the study has {len(done)} of {total} finished "
                         "trials (workers stopped early); start tune again to go on")
