"""epoch_vs_revision.py: exporting a revision and timing both trees."""

import subprocess

import epoch_vs_revision as evr
import pytest

# The instruments' tests: in the full suite, not in the fast tier.
pytestmark = pytest.mark.slow


def test_a_revision_is_exported_as_git_holds_it(tmp_path):
    evr.export_revision("HEAD", str(tmp_path))
    want = subprocess.run(["git", "-C", evr.ROOT, "show", "HEAD:gan_mnist/train.py"],
                          capture_output=True, check=True).stdout
    assert (tmp_path / "gan_mnist" / "train.py").read_bytes() == want


def test_each_tree_runs_its_own_package(tmp_path):
    argv, env = evr.train_command(str(tmp_path), "out", ["--max-epoch", "1"])
    assert env["PYTHONPATH"] == str(tmp_path)
    assert argv[1:] == ["-m", "gan_mnist.train", "--output", "out", "--max-epoch", "1"]


def test_epoch_seconds_come_from_metrics_csv(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,d_loss,seconds,fid\n0,1.2,10.5,\n1,1.1,9.25,20.0\n")
    assert evr.epoch_seconds(str(path)) == [10.5, 9.25]


def test_the_trees_alternate_and_get_their_own_flags():
    calls = []

    def fake_run(folder, flags, scratch):
        calls.append((folder, flags))
        return [1.0, 2.0] if folder == "old" else [1.5]

    times = evr.compare({"rev": ("old", []), "this tree": ("new", ["--x"])},
                        ["--a"], pairs=3, run=fake_run, log=lambda line: None)
    assert [c[0] for c in calls] == ["old", "new", "new", "old", "old", "new"]
    assert all(flags == (["--a", "--x"] if folder == "new" else ["--a"])
               for folder, flags in calls)
    assert times == {"rev": [3.0] * 3, "this tree": [1.5] * 3}
    later = evr.compare({"rev": ("old", []), "this tree": ("new", [])}, [], pairs=1,
                        run=fake_run, log=lambda line: None, skip=1)
    assert later == {"rev": [2.0], "this tree": [0]}


def test_a_revision_that_is_not_a_commit_is_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        evr.main(["--rev", "no-such-revision-here"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--rev no-such-revision-here: not a commit" in err
