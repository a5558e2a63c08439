"""What the tests share: tiny hyperparameters, running a training in process
or as the command, comparing checkpoints, one small trained run, and for the
tuner a study folder and a PostgreSQL server of the test's own.

Test files import the helpers (``from conftest import small_hp, run``);
the fixtures reach every test by name.
"""

import glob
import importlib.util
import io
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from gan_mnist import config
from gan_mnist.config import HParams

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "MNIST_data")


def small_hp(folder, **kw):
    """Real MNIST, 256 images, small layers: an epoch takes milliseconds."""
    base = dict(batch_size=32, h1_size=32, h2_size=64, z_size=16,
                learning_rate=1e-3, data_dir=DATA, output=str(folder), seed=7,
                limit=256, max_epoch=2)
    base.update(kw)
    return config.HParams(**base)


def run(hp, restore=False, overwrite=False, stop_after=None):
    """Train ``hp`` in this process; returns what it printed."""
    from gan_mnist.training import loop, preflight
    out = io.StringIO()
    loop.train(preflight.prepare(hp, restore, overwrite), out=out,
               stop_after=stop_after)
    return out.getvalue()


def checkpoint_values(prefix):
    """{variable name: array} of a checkpoint."""
    from gan_mnist._tf import tf
    reader = tf.train.load_checkpoint(str(prefix))
    return {n: reader.get_tensor(n) for n in reader.get_variable_to_shape_map()}


def assert_same_checkpoints(a, b):
    va, vb = checkpoint_values(a), checkpoint_values(b)
    assert sorted(va) == sorted(vb)
    for name in va:
        assert np.array_equal(va[name], vb[name]), name


def graph_session(tg, images):
    """A Session on a TrainGraph with its variables initialised and
    ``images`` ((N, 784) uint8) loaded in file order."""
    from gan_mnist._tf import v1
    sess = v1.Session(graph=tg.graph)
    sess.run(tg.init)
    sess.run(tg.data_init, {tg.images: images,
                            tg.order: np.arange(len(images), dtype=np.int32)})
    return sess


def snapshot(folder):
    """{name: modification time} of a folder's entries."""
    return {n: os.path.getmtime(os.path.join(folder, n)) for n in os.listdir(folder)}


def user_env():
    """The environment a user's command runs in: TensorFlow's own log level
    unset, as a user has it."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def train_cli(*args, cwd=ROOT):
    """``python -m gan_mnist.train ARGS`` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "gan_mnist.train", *args],
                          capture_output=True, text=True, cwd=cwd, env=user_env(),
                          timeout=300)


def start_training(folder, *extra):
    """A long tiny training in a child process (stopped by the test)."""
    args = ["--output", str(folder), "--limit", "2048", "--batch-size", "32",
            "--h1-size", "32", "--h2-size", "64", "--z-size", "16",
            "--seed", "4", "--max-epoch", "400", *extra]
    return subprocess.Popen([sys.executable, "-m", "gan_mnist.train", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=user_env())


def wait_for(path, proc, timeout=120):
    """Wait until ``path`` exists, while the child ``proc`` lives."""
    end = time.time() + timeout
    while not os.path.exists(path):
        assert proc.poll() is None, proc.communicate()
        assert time.time() < end, f"{path} did not appear"
        time.sleep(0.05)


def first_ids(cases):
    """Test ids from each case's first value: a list of flags joined as
    typed, anything else as it prints."""
    return [" ".join(c[0]) if isinstance(c[0], list) else str(c[0]) for c in cases]


@pytest.fixture
def tiny_hp():
    """Small sizes so a graph builds and steps in milliseconds."""
    return HParams(batch_size=8, h1_size=16, h2_size=32, z_size=8,
                   learning_rate=1e-3, keep_prob=0.7, seed=3)


@pytest.fixture
def fake_images():
    """64 random uint8 'images', (64, 784)."""
    return np.random.default_rng(0).integers(0, 256, (64, 784), dtype=np.uint8)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A 2-epoch run of small layers with an evaluation after epoch 2, made
    once per test process; read it, never write into it (see run_copy)."""
    folder = tmp_path_factory.mktemp("run")
    run(small_hp(folder, eval_every=2, eval_num=200))
    return folder


@pytest.fixture
def run_copy(tiny_run, tmp_path):
    """A copy of ``tiny_run`` for a test that writes into its run folder."""
    return shutil.copytree(tiny_run, tmp_path / "run")


# ------------------------------------------------------------- the tuner ---

REQUIRE_POSTGRES = "GAN_MNIST_REQUIRE_POSTGRES"
PG_USER = "gan_mnist_pg"  # made when running as root without a postgres user


@pytest.fixture
def study_dir(tmp_path):
    return tmp_path / "study"


def _missing(reason):
    if os.environ.get(REQUIRE_POSTGRES):
        pytest.fail(f"{reason}, and {REQUIRE_POSTGRES} is set")
    pytest.skip(reason)


def _server_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _unprivileged():
    """(uid, gid) to run the server as: the server refuses root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", PG_USER):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell",
                    "/usr/sbin/nologin", PG_USER], check=True)
    entry = pwd.getpwnam(PG_USER)
    return entry.pw_uid, entry.pw_gid


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url():
    """A PostgreSQL server on 127.0.0.1 for this test only (trust
    authentication, a free port, data in a temporary folder); its URL."""
    bindir = _server_bin()
    if not bindir:
        _missing("PostgreSQL's server binaries (Debian: apt-get install postgresql) "
                 "are not installed")
    if not any(importlib.util.find_spec(m) for m in ("psycopg2", "psycopg")):
        _missing("no PostgreSQL driver for Python (pip install psycopg2-binary)")
    ids = _unprivileged()
    home = tempfile.mkdtemp(prefix="gan_mnist_pg.")
    data, port = os.path.join(home, "data"), _free_port()
    as_user = {} if ids is None else {"user": ids[0], "group": ids[1]}
    if ids is not None:
        os.chown(home, *ids)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}

    def pg(*argv, **kw):
        return subprocess.run([os.path.join(bindir, argv[0]), *argv[1:]], cwd=home,
                              env=env, capture_output=True, text=True, timeout=120,
                              **as_user, **kw)

    started = False
    try:
        r = pg("initdb", "-D", data, "-A", "trust", "-U", "tune", "-E", "UTF8",
               "--locale=C", "--no-sync")
        assert r.returncode == 0, r.stderr
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {home} "
                   "-c fsync=off -c full_page_writes=off")
        r = pg("pg_ctl", "-D", data, "-l", os.path.join(home, "server.log"), "-o",
               options, "-w", "start")
        assert r.returncode == 0, r.stdout + r.stderr
        started = True
        yield f"postgresql://tune@127.0.0.1:{port}/postgres"
    finally:
        if started:
            pg("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)
