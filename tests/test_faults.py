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
             f"--restore --checkpoint {trained / 'model-1'} --branch")
    assert tree(trained) == before   # config.json not rewritten with the new flags
    from gan_mnist import evaluate, generate
    for cmd, extra in ((generate.main, ["--out", str(tmp_path / "x.png")]),
                       (evaluate.main, ["--no-floor", "--data-dir", DATA])):
        with pytest.raises(SystemExit) as e:
            cmd(["--output", str(trained), "--num", "16", *extra])
        assert e.value.code == 2
        one_line(capsys.readouterr().err, "model-2 is damaged")
    assert main(capsys, "--output", str(trained), "--restore", "--checkpoint",
                str(trained / "model-1"), "--branch", "--max-epoch", "2")[0] == 0
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


# ------------------------------------------------------------ round 2 ---
# One class of faults after another: each test failed before its fix.

def command(capsys, main_, *args):
    """Run a command's main() in process: (status, stderr)."""
    try:
        main_(list(args))
        status = 0
    except SystemExit as e:
        status = e.code
    return status, capsys.readouterr().err


# 1. A file the user named is never overwritten unasked, and a run's own
#    files never at all.

def test_generate_and_evaluate_refuse_to_overwrite_a_file_unless_asked(trained, tmp_path,
                                                                     capsys):
    from gan_mnist import evaluate, generate
    mine = tmp_path / "mine.png"
    mine.write_bytes(b"the user's picture")
    status, err = command(capsys, generate.main, "--pretrained", "--out", str(mine))
    assert status == 2 and mine.read_bytes() == b"the user's picture"
    one_line(err, "--out", "exists", "--overwrite")
    assert command(capsys, generate.main, "--pretrained", "--out", str(mine),
                   "--overwrite")[0] == 0
    assert mine.read_bytes()[:4] == b"\x89PNG"
    notes = tmp_path / "figures.json"
    notes.write_text("mine")
    status, err = command(capsys, evaluate.main, "--pretrained", "--num", "10",
                          "--json", str(notes))
    assert status == 2 and notes.read_text() == "mine"
    one_line(err, "--json", "exists")
    before = tree(trained)
    for name in ("config.json", "metrics.csv", "sample0.jpg"):
        status, err = command(capsys, evaluate.main, "--pretrained", "--num", "10",
                              "--json", str(trained / name), "--overwrite")
        assert status == 2, name
        one_line(err, "run's own files")
    status, err = command(capsys, generate.main, "--pretrained", "--out",
                          str(trained / "sample1.jpg"), "--overwrite")
    assert status == 2 and tree(trained) == before


# 2. Flags that would do something else or nothing are refused.

@pytest.mark.parametrize("which, args, words", [
    ("evaluate", ["--pretrained", "--out", "fig.json"], "unrecognized arguments: --out"),
    ("train", ["--max-ep", "3"], "unrecognized arguments: --max-ep"),
    ("generate", ["--pretrained", "--checkpoint", "x/model-1", "--out", "a.png"],
     "--checkpoint and --pretrained"),
    ("evaluate", ["--pretrained", "--images", "a.npz"], "--pretrained and --images"),
    ("generate", ["--pretrained", "--steps", "4", "--out", "a.png"], "--steps: only with"),
    ("evaluate", ["--images", "a.npz", "--seed", "3"], "--seed"),
    ("evaluate", ["--pretrained", "--raw-weights"], "--raw-weights"),
    ("export", ["--pretrained", "--web", "p", "--tflite"], "--tflite: only with --to"),
    ("train", ["--branch"], "--branch: only with --restore"),
], ids=["prefix-out", "prefix-max-ep", "two-sources", "images-and-pretrained",
        "steps-alone", "seed-with-images", "raw-weights-pretrained", "tflite-alone",
        "branch-alone"])
def test_flags_that_would_do_something_else_or_nothing_are_refused(
        tmp_path, capsys, monkeypatch, which, args, words):
    import importlib
    monkeypatch.chdir(tmp_path)
    main_ = importlib.import_module(f"gan_mnist.{which}").main
    status, err = command(capsys, main_, *args)
    assert status == 2
    one_line(err, words)
    assert os.listdir(tmp_path) == []


# 3. One folder, one run, one history.

@pytest.mark.slow
def test_an_older_checkpoint_goes_on_only_with_branch_and_sets_the_later_aside(
        trained, capsys):
    train.main(["--output", str(trained), "--restore", "--max-epoch", "3"])
    capsys.readouterr()
    status, err = main(capsys, "--output", str(trained), "--restore", "--checkpoint",
                       str(trained / "model-1"))
    one_line(err, "later checkpoints (model-2, model-3)", "--branch")
    assert status == 2
    status, _ = main(capsys, "--output", str(trained), "--restore", "--checkpoint",
                     str(trained / "model-1"), "--branch", "--max-epoch", "2")
    assert status == 0
    from gan_mnist.rundir import checkpoints, names
    from gan_mnist.rundir.metrics_csv import read_rows
    assert [e for e, _ in checkpoints.complete(str(trained))] == [1, 2]
    assert [r["epoch"] for r in read_rows(trained / "metrics.csv")] == [0, 1]
    (aside,) = [n for n in os.listdir(trained) if names.SET_ASIDE.match(n)]
    kept = set(os.listdir(trained / aside))
    assert {"model-2.index", "model-3.index", "sample1.jpg", "sample2.jpg",
            "metrics.csv"} <= kept
    assert [r["epoch"] for r in read_rows(trained / aside / "metrics.csv")] == [0, 1, 2]
    # a plain --restore now goes on from the branch, not from what was set aside
    train.main(["--output", str(trained), "--restore", "--max-epoch", "3"])
    assert [r["epoch"] for r in read_rows(trained / "metrics.csv")] == [0, 1, 2]


def test_a_run_without_config_json_or_another_runs_checkpoint_is_refused(trained, tmp_path,
                                                                        capsys):
    other = shutil.copytree(trained, tmp_path / "other")
    status, err = main(capsys, "--output", str(trained), "--restore", "--checkpoint",
                       str(other / "model-2"))
    assert status == 2
    one_line(err, "a checkpoint of another folder")
    status, err = main(capsys, "--output", str(trained), "--restore", "--seed", "8")
    assert status == 2
    one_line(err, "--seed 8", "keeps its seed")
    os.remove(other / "config.json")
    before = tree(other)
    status, err = main(capsys, "--output", str(other), "--restore")
    assert status == 2 and tree(other) == before
    one_line(err, "no config.json", "random seed")


def test_a_restore_with_nothing_to_do_changes_nothing(trained, capsys):
    before = tree(trained)
    status, _ = main(capsys, "--output", str(trained), "--restore")
    assert status == 0
    after = tree(trained)
    assert {k: v for k, v in after.items() if k != ".gan_mnist.lock"} == \
           {k: v for k, v in before.items() if k != ".gan_mnist.lock"}


# 4. Lock files only where a run is or will be.

def test_a_refused_restore_or_views_leaves_no_lock_file(tmp_path, capsys, monkeypatch):
    from gan_mnist import views
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(tmp_path)
    for folder in (user, empty, tmp_path):
        assert main(capsys, "--output", str(folder), "--restore")[0] == 2
        assert command(capsys, views.main, "--output", str(folder))[0] == 2
    assert not any(f.endswith(".gan_mnist.lock") for _, _, fs in os.walk(tmp_path)
                   for f in fs)


# 5. Losing the terminal ends the printing, not the training.

@pytest.mark.slow
@pytest.mark.parametrize("how", ["closed", "pipe-closed", "disk-full"])
def test_a_run_survives_the_loss_of_its_stdout(tmp_path, how):
    argv = [sys.executable, "-m", "gan_mnist.train", "--output", str(tmp_path / "run"),
            *TINY, "--max-epoch", "3"]
    if how == "closed":
        r = subprocess.run(["bash", "-c", 'exec "$@" >&-', "-", *argv], cwd=ROOT,
                           env=user_env(), capture_output=False, stderr=subprocess.PIPE,
                           timeout=300)
    elif how == "pipe-closed":
        p = subprocess.Popen(argv, cwd=ROOT, env=user_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        p.stdout.readline()
        p.stdout.close()  # as `| head -1` does
        _, stderr = p.communicate(timeout=300)
        r = subprocess.CompletedProcess(argv, p.returncode, None, stderr)
    else:
        with open("/dev/full", "w") as full:
            r = subprocess.run(argv, cwd=ROOT, env=user_env(), stdout=full,
                               stderr=subprocess.PIPE, timeout=300)
    assert r.returncode == 0, r.stderr
    assert b"Traceback" not in r.stderr and b"Exception ignored" not in r.stderr
    assert os.path.exists(tmp_path / "run" / "model-3.index")


# 6. Readers against the Saver's rotation.

def test_a_checkpoint_rotated_away_while_read_is_passed_over_not_called_damaged(
        trained, monkeypatch):
    from gan_mnist.rundir import checkpoints
    from gan_mnist.sampling import sources
    read = checkpoints.read_generator
    rotated = []

    def rotate_then_read(prefix, average=True):
        if not rotated:  # the training rotates the newest away under us
            for name in os.listdir(trained):
                if name.startswith("model-2."):
                    os.remove(trained / name)
            rotated.append(prefix)
        return read(prefix, average)

    monkeypatch.setattr(checkpoints, "read_generator", rotate_then_read)
    src = sources.load(str(trained))
    assert rotated == [str(trained / "model-2")] and src.prefix == str(trained / "model-1")
    with pytest.raises(UsageError) as e:
        checkpoints.read_generator(str(trained / "model-2"))
    assert "removed while it was read" in str(e.value) and "delete" not in str(e.value)


# 7. Sizes beyond the machine are refused before the work starts.

def test_sizes_beyond_the_machine_are_one_line(tmp_path, capsys, monkeypatch):
    from gan_mnist import evaluate, generate
    monkeypatch.chdir(tmp_path)
    status, err = command(capsys, generate.main, "--pretrained", "--num", "10000000000",
                          "--out", "x.npz")
    assert status == 2
    one_line(err, "--num 10000000000", "free here")
    status, err = main(capsys, *TINY, "--eval-every", "1", "--eval-num", "2000000000")
    assert status == 2
    one_line(err, "--eval-num 2000000000")
    status, err = main(capsys, *TINY, "--max-epoch", "100000000000000000000",
                       "--lr-decay", "1")
    assert status == 2
    one_line(err, "--max-epoch")
    import numpy.lib.format as fmt
    with open("huge.npy", "wb") as f:
        fmt.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False,
                                       "shape": (10**15, 28, 28)})
    status, err = command(capsys, evaluate.main, "--images", "huge.npy")
    assert status == 2
    one_line(err, "huge.npy")
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    big = data / "train-images-idx3-ubyte"
    os.remove(data / "train-images-idx3-ubyte.gz")
    with open(big, "wb") as f:  # 40 GB, sparse: the header says 60000 images
        f.write(b"\x00\x00\x08\x03" + (60000).to_bytes(4, "big") + b"\x00\x00\x00\x1c" * 2)
        f.truncate(40 * 10**9)
    status, err = main(capsys, *TINY[2:], "--data-dir", str(data), "--output", "o")
    assert status == 2
    one_line(err, "longer than its header says")
    assert not os.path.exists("o")


# 8. Damaged or odd inputs are named in one line.

def test_damaged_or_odd_inputs_are_one_line(tmp_path, capsys, monkeypatch):
    from gan_mnist import evaluate, generate
    from gan_mnist.sampling import pretrained
    monkeypatch.chdir(tmp_path)
    np.savez("ok.npz", images=np.zeros((20, 28, 28), np.uint8))
    raw = open("ok.npz", "rb").read()
    open("cut.npz", "wb").write(raw[:len(raw) // 2])
    status, err = command(capsys, evaluate.main, "--images", "cut.npz")
    assert status == 2
    one_line(err, "cut.npz", "damaged")
    weights, info = pretrained.load()
    for name, bad in (("shape", dict(weights, g_w2=weights["g_w2"][:, :10])),
                      ("nan", dict(weights, g_b3=np.full(784, np.nan, np.float32)))):
        path = tmp_path / f"{name}.npz"
        pretrained.save(str(path), bad, info)
        monkeypatch.setattr(pretrained, "PATH", str(path))
        monkeypatch.setattr(pretrained.load, "__defaults__", (str(path),))
        status, err = command(capsys, generate.main, "--pretrained", "--out", f"{name}.png")
        assert status == 2, name
        one_line(err, f"{name}.npz", "not a usable pretrained generator")
        assert not os.path.exists(f"{name}.png")
    status, err = main(capsys, *TINY, "--output", os.fsdecode(b"out\xff"))
    assert status == 2
    one_line(err, "not valid UTF-8")


def test_views_names_a_grid_of_another_size(trained, capsys):
    from gan_mnist import views
    from gan_mnist.rundir import grid
    grid.save_image(str(trained / "sample0.jpg"), np.zeros((100, 80), np.uint8))
    status, err = command(capsys, views.main, "--output", str(trained))
    assert status == 2
    one_line(err, "sample0.jpg", "80x100", "move it")


@pytest.mark.slow
def test_signals_at_start_up_or_in_views_end_in_one_line(trained, tmp_path):
    for delay in (0.1, 0.2, 0.3, 0.5):
        p = subprocess.Popen([sys.executable, "-m", "gan_mnist.train", "--output",
                              str(tmp_path / f"s{delay}"), *TINY], cwd=ROOT,
                             env=user_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        err = p.communicate(timeout=120)[1]
        assert p.returncode == 130, (delay, err)
        one_line(err, "stopped by Ctrl-C")
    from gan_mnist.rundir import grid
    for e in range(2, 120):  # enough grids that the GIF takes a moment
        shutil.copy(trained / "sample1.jpg", trained / f"sample{e}.jpg")
    for delay in (0.5, 1.0, 1.5, 2.0):
        p = subprocess.Popen([sys.executable, "-m", "gan_mnist.views", "--output",
                              str(trained)], cwd=ROOT, env=user_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        p.send_signal(signal.SIGTERM)
        err = p.communicate(timeout=120)[1]
        # 143 with one line, or 0 when views was done; a signal in the last
        # moments of Python's own shutdown (its handlers gone) ends it as
        # the signal would any program, with nothing said.
        assert p.returncode in (0, 143, -signal.SIGTERM), (delay, err)
        assert "Exception ignored" not in err and "Traceback" not in err, err
        assert err.count("\n") <= 1
        pictures = trained / "progress.gif"
        if pictures.exists():  # whole, never half written
            assert pictures.read_bytes()[-1:] == b";"
    assert grid is not None


# 9. One line, and the right one.

def test_the_line_names_the_right_cause(trained, tmp_path, capsys, monkeypatch):
    from gan_mnist import evaluate, export, generate
    from gan_mnist.training import interrupt
    from gan_mnist.rundir import config_json
    monkeypatch.chdir(tmp_path)
    open("plain.txt", "w").write("just text\n")
    status, err = command(capsys, evaluate.main, "--images", "plain.txt")
    one_line(err, "not an .npy or .npz file")
    assert "allow_pickle" not in err
    np.save("huge_values.npy", np.full((20, 784), 1e300))
    status, err = command(capsys, evaluate.main, "--images", "huge_values.npy",
                          "--no-floor")
    one_line(err, "[-1, 1]")
    assert "NaN" not in err
    os.mkdir("adir.png")
    status, err = command(capsys, generate.main, "--pretrained", "--out", "adir.png")
    one_line(err, "adir.png: is a folder")
    assert ".tmp" not in err
    status, err = command(capsys, export.main, "--pretrained", "--to", ".")
    assert status == 2
    one_line(err, "--to .", "working folder")
    hp = config_json.load(str(trained))
    assert "holds the whole run (2 epochs)" in interrupt.advice(hp)
    assert "resume with" in interrupt.advice(hp._replace(max_epoch=5))


def test_a_folder_that_cannot_be_read_is_called_so_not_missing(tmp_path, capsys,
                                                              monkeypatch):
    # Root may read anything, so access(2) is made to say no, as it does for
    # another user's folder; the real read is then never reached.
    import gan_mnist.data
    data = str(tmp_path / "data")
    shutil.copytree(DATA, data)
    real = os.access
    monkeypatch.setattr(gan_mnist.data.os, "access",
                        lambda p, mode: False if p == data else real(p, mode))
    status, err = main(capsys, *TINY[2:], "--data-dir", data, "--output",
                       str(tmp_path / "out"))
    assert status == 2
    one_line(err, "permission denied")
    assert "not found" not in err
