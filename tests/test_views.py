"""The views command."""

import os

import pytest

from gan_mnist import views


def test_views_command_rebuilds_the_pictures(run_copy, capsys):
    os.remove(run_copy / "losses.png")
    os.remove(run_copy / "progress.gif")
    views.main(["--output", str(run_copy)])
    assert os.path.exists(run_copy / "losses.png")
    assert os.path.exists(run_copy / "progress.gif")
    with pytest.raises(SystemExit) as e:
        views.main(["--output", str(run_copy / "nowhere")])
    assert e.value.code == 2
