"""What a study found, as text: the best trials, each with the command
that trains it again, and the one-line progress of a running study.

The functions up to ``text`` are pure (trials in, strings out: Optuna's
``FrozenTrial`` objects, or anything with ``number``, ``state.name``,
``value``, ``params`` and ``user_attrs``). ``run`` reads a study from its
storage, prints ``text`` and has ``picture`` draw it.
"""

import os
import shlex

from ..errors import UsageError
from ..measure.figures import TERMS
from .space import FIGURES

SHOWN = ("COMPLETE", "PRUNED", "RUNNING")


def ranked(trials, direction, states=SHOWN):
    """Trials in ``states`` with a figure, best first: by their value, or
    for pruned and running ones the last value told; complete before the
    rest at equal figures."""
    def figure(t):
        if t.value is not None:
            return t.value
        steps = getattr(t, "intermediate_values", {}) or {}
        return steps[max(steps)] if steps else None

    rows = [(figure(t), t) for t in trials if t.state.name in states]
    rows = [(v, t) for v, t in rows if v is not None]
    sign = 1 if direction == "minimize" else -1
    rows.sort(key=lambda r: (sign * r[0], r[1].state.name != "COMPLETE", r[1].number))
    return [t for _, t in rows]


def rerun_command(command, number):
    """The trial's recorded train command with ``--output trial-NNNN``: the
    same run from scratch in a new folder (the trial's own holds its run)."""
    words = shlex.split(command)
    if "--output" in words:
        words[words.index("--output") + 1] = f"trial-{number:04d}"
    return shlex.join(words)


def _number(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _latest(curve):
    """A running trial's newest evaluation from its curve ({epochs: [minutes,
    *FIGURES]}), as ``last_eval`` holds a finished one's; {} for none."""
    if not curve:
        return {}
    step = max(curve, key=int)
    return dict(zip(FIGURES, curve[step][1:]), epochs=int(step))


def describe(t, rank):
    """Lines for one trial: state, figures at its last evaluation, epochs,
    minutes of training, parameters, and its command."""
    a = t.user_attrs
    last = a.get("last_eval") or _latest(a.get("curve"))
    # the MNIST score's two terms after it, where the trial recorded them
    figures = "  ".join(f"{k} {_number(last[k])}" for k in (*FIGURES, *TERMS)
                        if last.get(k) is not None)
    epochs = last.get("epochs", a.get("epochs", "?"))
    minutes = a.get("train_minutes")
    head = (f"{rank}. trial {t.number} {t.state.name}: "
            + (figures or "no evaluation yet")
            + f" (after {epochs} epochs" + (f", {_duration(minutes * 60)} of training)"
                                            if minutes is not None else ")"))
    params = " ".join(f"{k}={_number(v)}" for k, v in sorted(t.params.items()))
    lines = [head, f"   parameters: {params or '-'}  seed={a.get('seed', '?')}"]
    if a.get("command"):
        lines.append(f"   again: {rerun_command(a['command'], t.number)}")
    return lines


def text(name, url, trials, space, top=5):
    """The report: counts by state, then the ``top`` best trials."""
    states = {}
    for t in trials:
        states[t.state.name] = states.get(t.state.name, 0) + 1
    counts = ", ".join(f"{n} {s.lower()}" for s, n in sorted(states.items()))
    better = "lower" if space.direction == "minimize" else "higher"
    lines = [f"study {name!r} in {url}: {len(trials)} trials ({counts or 'none'}); "
             f"{space.objective} after {space.epochs} epochs, {better} is better"]
    best = ranked(trials, space.direction)[:top]
    if not best:
        lines.append("no trial has been evaluated yet")
    for i, t in enumerate(best, 1):
        lines += describe(t, i)
    return "\n".join(lines)


def eta(walls, left, parallel):
    """Seconds until ``left`` more trials finish, from the wall times of
    those finished (``walls``) run ``parallel`` at a time; None without
    any finished trial to go by."""
    if not walls or left <= 0:
        return None if left > 0 else 0.0
    waves = -(-left // max(1, parallel))  # ceiling: trials run in waves
    return waves * sum(walls) / len(walls)


def _duration(seconds):
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = int(round(seconds / 60))
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes} min"


def progress_line(number, state, objective, last_eval, attrs, finished, left, eta_s):
    """One line per finished trial, e.g. ``trial 7 COMPLETE: fid 22.41
    after 10 epochs (1.6 min of training); 5 finished, 15 left, about 12
    min left``."""
    line = f"trial {number} {state}"
    if last_eval and last_eval.get(objective) is not None:
        line += (f": {objective} {_number(last_eval[objective])} after "
                 f"{last_eval.get('epochs', '?')} epochs")
    elif attrs.get("error"):
        line += f": {attrs['error']}"
    if attrs.get("train_minutes") is not None:
        line += f" ({_duration(attrs['train_minutes'] * 60)} of training)"
    line += f"; {finished} finished, {left} left"
    if left and eta_s is not None:
        line += f", about {_duration(eta_s)} left"
    return line


def run(study_dir, storage_flag, name, top, picture_path):
    """``tune --report``: print the best trials, draw the study."""
    from . import picture, storage
    if storage_flag is None and not os.path.exists(os.path.join(study_dir, storage.STUDY_FILE)):
        raise UsageError(f"--study {study_dir}: no study here; give the folder that "
                         "tune used, or --storage and --name")
    url, name = storage.resolve(study_dir, storage_flag, name)
    store = storage.connect(url, heartbeat=False)
    study, space = storage.open_study(store, name, create=False)
    trials = study.get_trials(deepcopy=False)
    print(text(name, storage.shown(url), trials, space, top))
    path = picture_path or os.path.join(study_dir, "study.png")
    note = picture.draw(study, trials, space, path)
    print(f"picture: {path}" + (f" ({note})" if note else ""))

