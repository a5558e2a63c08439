"""The Optuna storage and study: connecting, checking, creating.

``resolve(study_dir, storage, name)`` says which storage and study name a
study folder goes with (``STUDY/study.json`` remembers them); ``connect(url)``
opens the storage, with heartbeats so that workers elsewhere can tell a
dead worker's trial; ``open_study(...)`` loads or creates the study and
checks its search space against the one given. Every failure is a
UsageError of one line, SQLAlchemy's traceback and Optuna's log kept out.
"""

import importlib.util
import inspect
import json
import os
import random
import time
import warnings

from ..errors import UsageError
from ..fileio import write_json
from . import checks

DEFAULT_NAME = "gan_mnist"
STUDY_FILE = "study.json"
TRIALS_DIR = "trials"
# A worker records a heartbeat every HEARTBEAT seconds while it runs a
# trial; a RUNNING trial silent for GRACE seconds is taken as dead by any
# worker (Optuna's fail_stale_trials) and retried, up to RETRIES times.
HEARTBEAT, GRACE, RETRIES = 20, 120, 3


def quiet():
    """Optuna's log above warnings only, and no notes about experimental
    or renamed features (for its users' developers, not ours)."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", category=FutureWarning, module="optuna")
    # The workers record their trials' heartbeats themselves (ask and tell,
    # not Study.optimize), which this warning does not know.
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed")


def shown(url):
    """``url`` with its password hidden (for messages and study.json)."""
    try:
        import sqlalchemy
        return sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL: then it has no password to hide
        return url


def resolve(study_dir, storage, name):
    """(storage URL, study name) for ``study_dir``: the flags given, else
    what study.json recorded, else SQLite in the folder and "gan_mnist".
    One folder serves one study: its trial folders are named by number."""
    path = os.path.join(study_dir, STUDY_FILE)
    saved = None
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as f:
                saved = json.load(f)
            saved["storage"], saved["name"]  # noqa: B018 - both must be there
        except (OSError, ValueError, TypeError, KeyError):
            raise UsageError(f"{path}: unreadable; restore it, or move it away "
                             "and give --storage and --name") from None
    if storage is None and saved:
        if "***" in saved["storage"]:
            raise UsageError(f"--study {study_dir}: give --storage (study.json "
                             "keeps no password)")
        storage = saved["storage"]
    url = storage or "sqlite:///" + os.path.abspath(os.path.join(study_dir, "study.db"))
    name = name or (saved["name"] if saved else DEFAULT_NAME)
    if saved and (shown(url), name) != (saved["storage"], saved["name"]):
        raise UsageError(f"--study {study_dir}: belongs to study {saved['name']!r} "
                         f"in {saved['storage']}; give those, or another --study folder")
    return url, name


def remember(study_dir, url, name):
    write_json(os.path.join(study_dir, STUDY_FILE), {"storage": shown(url), "name": name})


def heartbeat_kwargs(interval, grace):
    """RDBStorage's arguments for heartbeats, and for retrying a trial whose
    heartbeat stopped (a WAITING copy with its parameters and user
    attributes), under the names of the installed Optuna (renamed in 4.9)."""
    import optuna
    retry = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None) \
        or optuna.storages.RetryFailedTrialCallback
    key = ("heartbeat_stale_trial_callback" if "heartbeat_stale_trial_callback"
           in inspect.signature(optuna.storages.RDBStorage).parameters
           else "failed_trial_callback")
    return {"heartbeat_interval": interval, "grace_period": grace,
            key: retry(max_retry=RETRIES)}


def connect(url, heartbeat=True):
    """The storage at ``url`` (any database URL that SQLAlchemy takes),
    connected and its tables made; UsageError when it cannot be reached."""
    quiet()
    import optuna
    import sqlalchemy
    given = url  # as the user wrote it, for messages
    try:
        parsed = sqlalchemy.engine.make_url(url)
        dialect = parsed.get_backend_name()
    except Exception:  # noqa: BLE001 - SQLAlchemy's ArgumentError and friends
        raise UsageError(f"--storage {url}: not a database URL (e.g. "
                         "postgresql://user@host/db, sqlite:///study.db)") from None
    if parsed.drivername == "postgresql":
        # SQLAlchemy 2.0 takes psycopg2 for a bare postgresql://, 2.1 takes
        # psycopg (3): use whichever of the two is installed.
        for module in ("psycopg", "psycopg2"):
            if importlib.util.find_spec(module):
                url = parsed.set(drivername=f"postgresql+{module}").render_as_string(
                    hide_password=False)
                break
    # SQLite: wait for another worker's write instead of failing at once;
    # servers: give up on an unreachable host in seconds, not minutes.
    args = {"timeout": 60} if dialect == "sqlite" else {"connect_timeout": 10}
    kwargs = {"engine_kwargs": {"connect_args": args}}
    if heartbeat:
        kwargs.update(heartbeat_kwargs(HEARTBEAT, GRACE))
    try:
        for attempt in range(5):
            try:
                return optuna.storages.RDBStorage(url, **kwargs)
            except sqlalchemy.exc.SQLAlchemyError as e:
                # Workers started together on an empty database all make
                # Optuna's tables; all but one find them made meanwhile.
                if attempt == 4 or "already exists" not in str(e):
                    raise
                time.sleep(0.5 + random.random())
    except ImportError:
        raise UsageError(f"--storage {shown(given)}: its database driver is not "
                         "installed (PostgreSQL: pip install psycopg2-binary; MySQL: "
                         "pip install pymysql and a mysql+pymysql:// URL)") from None
    except Exception as e:  # noqa: BLE001 - every database error is one line here
        cause = getattr(e, "orig", None) or e
        text = " ".join(str(cause).split())[:240] or type(cause).__name__
        raise UsageError(f"--storage {shown(given)}: cannot connect ({text}); check "
                         "the URL and that the database is up") from None


def make_pruner(space):
    import optuna
    p = space.pruner
    if p["kind"] == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=p["startup_trials"], n_warmup_steps=p["warmup_epochs"],
            n_min_trials=p["min_trials"])
    if p["kind"] == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(
            min_resource=p["min_epochs"], reduction_factor=p["reduction_factor"],
            min_early_stopping_rate=p["min_early_stopping_rate"])
    return optuna.pruners.NopPruner()


def make_sampler(space):
    import optuna
    s = space.sampler
    if s["kind"] == "random":
        return optuna.samplers.RandomSampler(seed=s["seed"])
    return optuna.samplers.TPESampler(seed=s["seed"], n_startup_trials=s["startup_trials"])


def _stored_space(study, name):
    # A worker that created the study a moment ago may not have stored its
    # space yet.
    for _ in range(50):
        stored = study.user_attrs.get("space")
        if stored is not None:
            return checks.parse(stored, f"the space stored in study {name!r}")
        time.sleep(0.2)  # user_attrs reads the storage again
    raise UsageError(f"study {name!r}: has no search space; it was not made by "
                     "gan_mnist.tune, so choose another --name")


def open_study(storage, name, space=None, study_dir=None, create=True):
    """(study, space): load study ``name``, or with ``create`` make it with
    ``space`` (default: the built-in space) and queue its first trials.
    The study keeps its space: a ``space`` given must equal it."""
    import optuna

    from .space import builtin
    try:
        study = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        if not create:
            raise UsageError(f"--name {name}: no such study in {shown(storage.url)}; "
                             "start it with python -m gan_mnist.tune") from None
        trials_dir = os.path.join(study_dir, TRIALS_DIR)
        if os.path.isdir(trials_dir) and os.listdir(trials_dir):
            raise UsageError(f"--study {study_dir}: {TRIALS_DIR}/ holds trial folders "
                             "of another study; choose another --study folder") from None
        space = space or builtin()
        try:
            study = optuna.create_study(study_name=name, storage=storage,
                                        direction=space.direction)
        except optuna.exceptions.DuplicatedStudyError:  # another worker was first
            study = optuna.load_study(study_name=name, storage=storage)
        else:
            study.set_user_attr("space", space.as_dict())
            for point in space.first:
                study.enqueue_trial(point, skip_if_exists=True)
    stored = _stored_space(study, name)
    if space is not None and space.as_dict() != stored.as_dict():
        raise UsageError(f"{space.where}: study {name!r} was started with another "
                         "space; give the same file, leave --space out to use the "
                         "study's, or choose another --name")
    study = optuna.load_study(study_name=name, storage=storage,
                              sampler=make_sampler(stored), pruner=make_pruner(stored))
    return study, stored
