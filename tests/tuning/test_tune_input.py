"""Bad input to the tune command: one line, exit status 2, at once; no
trial started and TensorFlow never loaded."""

import os
import socket
import subprocess
import sys
import time

import pytest

from gan_mnist import tune
from gan_mnist.tuning import study as studies
from tuning_helpers import ROOT, tiny_space, write_space


pytest.importorskip("optuna")


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once closed


def refused(capsys, *argv):
    """Run the command in this process; its one-line error."""
    with pytest.raises(SystemExit) as e:
        tune.main([str(a) for a in argv])
    assert e.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("python -m gan_mnist.tune: error: ")
    return lines[0]


def test_bad_space_files_name_file_and_key(tmp_path, capsys, study_dir):
    cases = {
        "unknown option": ('[search]\nlearning-rat = [1e-3, 2e-3]\n', "search.learning-rat"),
        "owned option": ('[fixed]\noutput = "x"\n[search]\nbeta1 = [0.5, 0.9]\n',
                         "fixed.output"),
        "empty range": ('[search]\nbeta1 = { low = 0.9, high = 0.5 }\n', "search.beta1"),
        "wrong type": ('[search]\nbeta1 = { low = "a", high = 0.5 }\n', "search.beta1.low"),
        "syntax": ('[search\n', "not valid TOML"),
        "bad pruner": ('[search]\nbeta1 = [0.5, 0.9]\n[pruner]\nkind = "x"\n', "pruner.kind"),
    }
    for name, (text, word) in cases.items():
        path = write_space(tmp_path, text, name.replace(" ", "_") + ".toml")
        line = refused(capsys, "--study", study_dir, "--space", path)
        assert path in line and word in line, (name, line)
    assert not study_dir.exists()  # checked before anything was made


def test_bad_flags(capsys, study_dir):
    assert "unrecognized arguments: --jobz" in refused(capsys, "--jobz", 2)
    assert "--job" in refused(capsys, "--job", 2)  # no abbreviations
    assert "--jobs 0" in refused(capsys, "--jobs", 0)
    assert "--top: only with --report" in refused(capsys, "--top", 3)
    assert "not with --trials" in refused(capsys, "--report", "--trials", 3)
    assert "no study here" in refused(capsys, "--report", "--study", study_dir)


def test_unreachable_storages(tmp_path, capsys, study_dir):
    space = tiny_space(tmp_path)
    url = f"postgresql://tune@127.0.0.1:{closed_port()}/tune"
    line = refused(capsys, "--study", study_dir, "--space", space, "--storage", url)
    assert f"--storage {url}" in line
    (tmp_path / "a-file").write_text("")
    url = "sqlite:///" + str(tmp_path / "a-file" / "study.db")
    line = refused(capsys, "--study", study_dir, "--space", space, "--storage", url)
    assert "cannot connect" in line and url in line
    assert "not a database URL" in refused(capsys, "--study", study_dir, "--space", space,
                                           "--storage", "nonsense")
    assert not (study_dir / "trials").exists()


def test_a_study_keeps_its_space(tmp_path, capsys, study_dir):
    first = tiny_space(tmp_path)
    settings = studies.prepare(str(study_dir), tune_space(first), None, None, 2)[0]
    assert settings.trials == 2
    # the study keeps its total and its space: a restart names neither
    settings, _, kept = studies.prepare(str(study_dir), None, None, None, None)
    assert settings.trials == 2 and kept.as_dict() == tune_space(first).as_dict()
    (tmp_path / "other").mkdir()
    other = tiny_space(tmp_path / "other", epochs=4)
    line = refused(capsys, "--study", study_dir, "--space", other)
    assert "was started with another space" in line
    # another study's folder is refused too
    line = refused(capsys, "--study", study_dir, "--name", "other", "--space", first)
    assert "belongs to study 'gan_mnist'" in line
    assert not (study_dir / "trials").exists()


def tune_space(path):
    from gan_mnist.tuning import space
    return space.load(path)


def test_errors_come_before_tensorflow_and_fast(tmp_path, study_dir):
    """In a fresh interpreter: the error line, status 2, and TensorFlow not
    among the modules loaded when it exits."""
    bad = write_space(tmp_path, '[search]\nbeta-one = [0.5, 0.9]\n', 'bad.toml')
    url = f"postgresql://tune@127.0.0.1:{closed_port()}/tune"
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('tensorflow loaded:', "
             "'tensorflow' in sys.modules))\n"
             "from gan_mnist.tune import main\nmain(sys.argv[1:])\n")
    for argv in (["--space", bad], ["--space", tiny_space(tmp_path), "--storage", url]):
        started = time.time()
        r = subprocess.run([sys.executable, "-c", probe, "--study", str(study_dir), *argv],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
        took = time.time() - started
        assert r.returncode == 2, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "tensorflow loaded: False" in r.stdout
        assert took < 20, took  # Optuna's import, not TensorFlow's start-up
    assert not os.path.exists(study_dir / "trials")
