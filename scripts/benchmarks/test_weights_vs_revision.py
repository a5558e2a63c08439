"""weights_vs_revision.py: comparing two checkpoints' variables."""

import numpy as np
import pytest
import weights_vs_revision as wvr

# The instruments' tests: in the full suite, not in the fast tier.
pytestmark = pytest.mark.slow


def test_differences_name_each_variable_that_differs_and_by_how_much():
    a = {"w": np.array([1.0, 2.0], np.float32), "b": np.zeros(3, np.float32),
         "only_a": np.ones(1)}
    b = {"w": np.array([1.0, 2.5], np.float32), "b": np.zeros(3, np.float32),
         "only_b": np.ones(1)}
    diff, unpaired = wvr.differences(a, b)
    assert diff == {"w": pytest.approx(0.5)}
    assert unpaired == ["only_a", "only_b"]
    assert wvr.differences(a, a) == ({}, [])


def test_a_revision_that_is_not_a_commit_is_one_line(capsys):
    with pytest.raises(SystemExit) as e:
        wvr.main(["--rev", "no-such-revision", "--flags", "--max-epoch 1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and "no-such-revision" in err
