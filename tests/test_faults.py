"""Fault injection: what a careful user can do wrong, and what the package does then."""

import os
import resource
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import (
    DATA,
    ROOT,
    assert_same_checkpoints,
    run,
    start_training,
    user_env,
    wait_for,
)

from gan_mnist import train
from gan_mnist.errors import UsageError
from gan_mnist.rundir import lock, survey
from gan_mnist.training import preflight

TINY = ["--data-dir", DATA, "--limit", "256", "--batch-size", "32", "--h1-size",
        "32", "--h2-size", "64", "--z-size", "16", "--seed", "7"]


def tree(folder):
    """{relative path: (kind, content)} of everything below ``folder``,
    links not followed: files with their bytes, links with their target."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
            elif os.path.isdir(path):
                out[rel] = ("dir", None)
            else:
                with open(path, "rb") as f:
                    out[rel] = ("file", f.read())
    return out


def main(capsys, *args):
    """Run ``python -m gan_mnist.train`` in process: (status, stderr)."""
    try:
        train.main(list(args))
        status = 0
    except SystemExit as e:
        status = e.code
    return status, capsys.readouterr().err


def one_line(err, *words):
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory):
    """A 2-epoch tiny run (model-1, model-2), made once for the module."""
    folder = tmp_path_factory.mktemp("template") / "run"
    train.main(["--output", str(folder), *TINY, "--max-epoch", "2"])
    return folder


@pytest.fixture
def trained(trained_once, tmp_path):
    """A copy of that run for one test to damage."""
    return shutil.copytree(trained_once, tmp_path / "run")


@pytest.mark.slow
def test_the_same_command_twice_refuses_then_overwrite_or_restore(trained, capsys):
    before = tree(trained)
    status, err = main(capsys, "--output", str(trained), *TINY, "--max-epoch", "2")
    assert status == 2
    one_line(err, "holds a run of 2 epochs", "--restore", "--overwrite", "--output")
    assert tree(trained) == before
    assert main(capsys, "--output", str(trained), "--restore", "--max-epoch", "3")[0] == 0
    assert os.path.exists(trained / "model-3.index")
    assert main(capsys, "--output", str(trained), *TINY, "--max-epoch", "1",
                "--overwrite")[0] == 0
    assert not os.path.exists(trained / "model-3.index")
    assert os.path.exists(trained / "model-1.index")
    status, err = main(capsys, "--output", str(trained), "--restore", "--overwrite")
    assert status == 2
    one_line(err, "--restore and --overwrite")


def _make_link(folder, outside, name):
    os.symlink(outside, folder / name)


@pytest.mark.slow
@pytest.mark.parametrize("name, make, words", [
    ("logs", "link_dir", "'logs' is a symbolic link"),
    ("sample7.jpg", "link_file", "'sample7.jpg' is a symbolic link"),
    ("sample8.jpg", "dir", "'sample8.jpg' is a dir"),
    ("model-1_temp", "dir", "'model-1_temp' holds 'notes.txt'"),
    ("logs/notes.txt", "file", "'logs' holds 'notes.txt'"),
    ("model-1_notes.txt", "file", "'model-1_notes.txt'"),
    ("metrics.csv.tmpbackup", "file", "'metrics.csv.tmpbackup'"),
    (".notes.txt.abcdefgh.tmp.txt", "file", ".notes.txt.abcdefgh.tmp.txt"),
], ids=["logs-link", "grid-link", "grid-folder", "temp-folder-note", "logs-note",
        "checkpoint-like-note", "metrics-like-backup", "temporary-like-note"])
def test_nothing_that_is_not_provably_ours_is_deleted(trained, tmp_path, capsys,
                                                       name, make, words):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notes.txt").write_text("the user's")
    if make == "link_dir":
        for f in os.listdir(trained / "logs"):
            os.remove(trained / "logs" / f)
        os.rmdir(trained / "logs")
        _make_link(trained, outside, name)
    elif make == "link_file":
        _make_link(trained, outside / "notes.txt", name)
    elif make == "dir":
        (trained / name).mkdir()
        (trained / name / "notes.txt").write_text("the user's")
    else:
        (trained / name).write_text("the user's")
    before, before_outside = tree(trained), tree(outside)
    status, err = main(capsys, "--output", str(trained), *TINY, "--max-epoch", "3",
                       "--overwrite")
    assert status == 2, err
    one_line(err, words)
    assert tree(trained) == before and tree(outside) == before_outside
    status, err = main(capsys, "--output", str(trained), "--restore", "--max-epoch", "3")
    if make == "file" and "/" not in name:
        assert status == 0  # a file of the user's beside a run: the run goes on
        assert (trained / name).read_text() == "the user's"
    else:
        assert status == 2, err
        one_line(err, words)
        assert tree(trained) == before and tree(outside) == before_outside


def test_leftovers_of_writes_cut_short_are_cleaned_when_a_run_resumes(trained, capsys):
    leftovers = ["model-2.data-00000-of-00001.tempstate84211", "checkpoint.tmp" + "ab" * 16,
                 ".metrics.csv.x1y2z3_q.tmp.csv", "model-3_temp"]
    for name in leftovers[:3]:
        (trained / name).write_bytes(b"half")
    (trained / "model-3_temp").mkdir()
    (trained / "model-3_temp" / "part-00000-of-00001.index").write_bytes(b"half")
    (trained / "notes.txt").write_text("the user's")
    assert main(capsys, "--output", str(trained), "--restore", "--max-epoch", "3")[0] == 0
    names = set(os.listdir(trained))
    assert not names & set(leftovers) and "notes.txt" in names
    assert (trained / "notes.txt").read_text() == "the user's"


def _damage(path, how):
    data = bytearray(path.read_bytes())
    if how == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    else:  # a flipped bit in every tensor of any size
        for i in range(100, len(data), 50_000):
            data[i] ^= 0x10
        path.write_bytes(bytes(data))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["truncate", "flip"])
def test_a_damaged_checkpoint_is_named_and_the_one_before_resumes_exactly(
        trained, tmp_path, capsys, how):
    data = trained / "model-2.data-00000-of-00001"
    _damage(data, how)
    before = tree(trained)
    status, err = main(capsys, "--output", str(trained), "--restore", "--max-epoch", "4",
                       "--learning-rate", "0.5")
    assert status == 2
    one_line(err, "model-2 is damaged", "model-2.data-00000-of-00001",
             f"--restore --checkpoint {trained / 'model-1'}")
    assert tree(trained) == before   # config.json not rewritten with the new flags
    from gan_mnist import evaluate, generate
    for cmd, extra in ((generate.main, ["--out", str(tmp_path / "x.png")]),
                       (evaluate.main, ["--no-floor", "--data-dir", DATA])):
        with pytest.raises(SystemExit) as e:
            cmd(["--output", str(trained), "--num", "16", *extra])
        assert e.value.code == 2
        one_line(capsys.readouterr().err, "model-2 is damaged")
    assert main(capsys, "--output", str(trained), "--restore", "--checkpoint",
                str(trained / "model-1"), "--max-epoch", "2")[0] == 0
    assert main(capsys, "--output", str(tmp_path / "whole"), *TINY, "--max-epoch", "2")[0] == 0
    assert_same_checkpoints(trained / "model-2", tmp_path / "whole" / "model-2")


@pytest.mark.parametrize("text, words", [
    ("[]", "holds list, not an object"),
    ('{"batch_size": true}', "field 'batch_size' is true: must be a whole number"),
    ('{"learning_rate": "fast"}', "field 'learning_rate' is \"fast\": must be a number"),
    ('{"colour": "blue"}', "unknown field 'colour'"),
    ('{"batch_size": 0}', "field 'batch_size' is 0: must be a whole number >= 1"),
    ('{"seed": 5', "unreadable"),
], ids=["list", "bool-size", "string-rate", "unknown-field", "zero-size", "cut-short"])
def test_a_damaged_config_json_is_named_with_its_field(trained, capsys, text, words):
    (trained / "config.json").write_text(text)
    before = tree(trained)
    status, err = main(capsys, "--output", str(trained), "--restore", "--max-epoch", "3")
    assert status == 2
    one_line(err, "config.json", words)
    assert tree(trained) == before


def test_a_metrics_csv_that_is_not_text_stops_a_resume(trained, capsys):
    (trained / "metrics.csv").write_bytes(bytes(range(256)) * 4)
    before = tree(trained)
    status, err = main(capsys, "--output", str(trained), "--restore", "--max-epoch", "3")
    assert status == 2
    one_line(err, "metrics.csv: not a readable CSV")
    assert tree(trained) == before


def test_views_names_a_truncated_grid(trained, capsys):
    from gan_mnist import views
    path = trained / "sample1.jpg"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(SystemExit) as e:
        views.main(["--output", str(trained)])
    assert e.value.code == 2
    one_line(capsys.readouterr().err, "sample1.jpg: not a readable image")


@pytest.mark.slow
def test_a_second_training_on_a_folder_refuses_at_once_and_the_first_goes_on(tmp_path):
    first = start_training(tmp_path / "run")
    wait_for(tmp_path / "run" / "model-1.index", first)
    started = time.time()
    second = subprocess.run(
        [sys.executable, "-m", "gan_mnist.train", "--output", str(tmp_path / "run"),
         "--restore"], capture_output=True, text=True, cwd=ROOT, env=user_env(), timeout=120)
    assert second.returncode == 2 and time.time() - started < 30
    one_line(second.stderr, f"in use by another run (process {first.pid})")
    views = subprocess.run([sys.executable, "-m", "gan_mnist.views", "--output",
                            str(tmp_path / "run")], capture_output=True, text=True,
                           cwd=ROOT, env=user_env(), timeout=120)
    assert views.returncode == 2
    one_line(views.stderr, f"process {first.pid}")
    wait_for(tmp_path / "run" / "model-3.index", first)
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=60)
    assert first.returncode == 143
    done = max(e for e, _ in rundir_checkpoints(tmp_path / "run"))
    hp = train.resolve({"output": str(tmp_path / "run"), "max_epoch": done + 1}, restore=True)
    run(hp, restore=True)
    run(hp._replace(output=str(tmp_path / "whole")))
    assert_same_checkpoints(tmp_path / "run" / f"model-{done + 1}",
                            tmp_path / "whole" / f"model-{done + 1}")


def test_a_held_folder_is_named_before_its_files_are_read(tmp_path, monkeypatch):
    folder = str(tmp_path / "run")
    with lock.lock(folder):
        # The holder's files change under a second process's survey; the
        # check of the lock comes first, so it is the line the user meets.
        monkeypatch.setattr(survey, "survey", lambda f: pytest.fail("surveyed"))
        hp = train.resolve({"output": folder, "limit": 64}, restore=True)
        with pytest.raises(UsageError, match=f"process {os.getpid()}"):
            preflight.load_inputs(hp, resume=True)
    monkeypatch.undo()
    lock.check_free(folder)  # released with the lock


def test_a_file_that_vanishes_while_a_folder_is_surveyed_is_passed_over(
        tmp_path, monkeypatch):
    (tmp_path / "model-1.index").write_bytes(b"")
    gone = "model-2.index.tempstate240434138020766290"  # renamed by its writer
    listdir = os.listdir
    monkeypatch.setattr(os, "listdir", lambda p: listdir(p) + [gone])
    s = survey.survey(str(tmp_path))
    assert s.own == ["model-1.index"] and not s.doubtful and not s.foreign
    survey.check_resume(str(tmp_path))


def rundir_checkpoints(folder):
    from gan_mnist.rundir import checkpoints
    return checkpoints.complete(str(folder))


@pytest.mark.slow
def test_a_full_disk_is_one_line_and_the_newest_checkpoint_survives(trained, tmp_path):
    """A file-size limit in the child process stands in for a full disk: the
    checkpoint of epoch 3 cannot be written."""
    limit = os.path.getsize(trained / "model-2.data-00000-of-00001") // 2

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = subprocess.run([sys.executable, "-m", "gan_mnist.train", "--output",
                        str(trained), "--restore", "--max-epoch", "3"],
                       capture_output=True, text=True, cwd=ROOT, env=user_env(),
                       timeout=120, preexec_fn=small_files)
    assert r.returncode == 2, r.stderr
    one_line(r.stderr, "model-3")
    assert max(e for e, _ in rundir_checkpoints(trained)) == 2
    hp = train.resolve({"output": str(trained), "max_epoch": 3}, restore=True)
    run(hp, restore=True)
    assert survey.survey(str(trained)).leftovers == []
    run(hp._replace(output=str(tmp_path / "whole")))
    assert_same_checkpoints(trained / "model-3", tmp_path / "whole" / "model-3")


def test_ctrl_c_while_tensorflow_loads_is_one_short_line(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "gan_mnist.train", "--output",
                             str(tmp_path / "run"), *TINY],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=user_env())
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    one_line(err, "stopped by Ctrl-C")
    assert "--restore" not in err


@pytest.mark.slow
def test_ctrl_c_in_the_first_epoch_offers_no_resume(tmp_path):
    folder = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "gan_mnist.train", "--output",
                             str(folder), "--data-dir", DATA, "--limit", "20000",
                             "--batch-size", "32", "--seed", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=user_env())
    wait_for(folder / "logs", proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    one_line(err, "in epoch 0", "nothing to resume")
    assert "--restore" not in err
    # and the same command then starts afresh, without --overwrite
    r = subprocess.run([sys.executable, "-m", "gan_mnist.train", "--output",
                        str(folder), *TINY, "--max-epoch", "1"],
                       capture_output=True, text=True, cwd=ROOT, env=user_env(), timeout=120)
    assert r.returncode == 0, r.stderr


def test_a_refused_folder_of_the_users_is_left_as_it_was(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("the user's")
    status, err = main(capsys, "--output", str(tmp_path / "mine"), *TINY)
    assert status == 2
    one_line(err, "'notes.txt'")
    assert os.listdir(tmp_path / "mine") == ["notes.txt"]  # not even a lock file
    status, err = main(capsys, "--output", str(tmp_path / "none"), "--restore")
    assert status == 2
    one_line(err, "no run folder")
    assert not os.path.exists(tmp_path / "none")


@pytest.mark.parametrize("output, words", [
    ("", "--output '': give the name of a folder"),
    ("x" * 300, "the name is too long"),
], ids=["empty", "too-long"])
def test_bad_output_names_are_one_line(tmp_path, capsys, monkeypatch, output, words):
    monkeypatch.chdir(tmp_path)
    status, err = main(capsys, "--output", output, *TINY, "--max-epoch", "1")
    assert status == 2
    one_line(err, words)


def test_input_errors_come_before_tensorflow_loads(tmp_path):
    """A bad --data-dir for train, and bad --images for evaluate, are told
    without importing TensorFlow at all."""
    np.save(tmp_path / "bad.npy", np.zeros((20, 28, 20), np.uint8))
    script = ("import runpy, sys\n"
              "sys.argv = sys.argv[1:]\n"
              "try:\n"
              "    runpy.run_module(sys.argv[0], run_name='__main__')\n"
              "except SystemExit as e:\n"
              "    print(e.code, 'tensorflow' in sys.modules)\n")
    for argv in (["gan_mnist.train", "--output", str(tmp_path / "o"), "--data-dir",
                  str(tmp_path / "nowhere")],
                 ["gan_mnist.evaluate", "--images", str(tmp_path / "bad.npy"),
                  "--data-dir", DATA]):
        r = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True,
                           text=True, cwd=ROOT, env=user_env(), timeout=60)
        assert r.stdout.split() == ["2", "False"], (argv[0], r.stdout, r.stderr)
        one_line(r.stderr, "error:")


def test_write_errors_are_told_by_their_cause():
    import errno

    from gan_mnist.errors import io_problem
    for code, words in ((errno.ENOSPC, "the disk is full"),
                        (errno.EROFS, "the file system is read-only"),
                        (errno.EFBIG, "the file is too large (a file-size limit)"),
                        (errno.ENAMETOOLONG, "the name is too long")):
        assert io_problem(OSError(code, os.strerror(code), "out/x")) == f"out/x: {words}"
    assert io_problem(ValueError("a bug")) is None  # bugs keep their traceback
