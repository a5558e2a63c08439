"""The checks before a run starts: checkpoints that do not fit, and folders that hold a run."""

import os

import pytest
from conftest import run, small_hp, snapshot

from gan_mnist import train
from gan_mnist.errors import UsageError


@pytest.mark.slow
def test_restore_refuses_missing_or_mismatched_checkpoints(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="no checkpoint"):
        run(small_hp(empty), restore=True)
    assert os.listdir(empty) == []

    run(small_hp(tmp_path / "r", max_epoch=1))
    before = snapshot(tmp_path / "r")
    hp = train.resolve({"output": str(tmp_path / "r"), "h1_size": 48}, restore=True)
    with pytest.raises(UsageError, match=r"g_w1 has shape \[16, 32\].*--h1-size 48"):
        run(hp, restore=True)
    assert snapshot(tmp_path / "r") == before


@pytest.mark.slow
def test_a_new_run_refuses_a_folder_with_a_run_and_overwrite_deletes_only_its_files(tmp_path):
    run(small_hp(tmp_path, max_epoch=2))
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="holds a run of 2 epochs.*--restore.*--overwrite"):
        run(small_hp(tmp_path, max_epoch=1))
    assert snapshot(tmp_path) == before
    (tmp_path / "notes.txt").write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(UsageError, match="notes.txt"):
        run(small_hp(tmp_path, max_epoch=1), overwrite=True)
    assert snapshot(tmp_path) == before

    os.remove(tmp_path / "notes.txt")
    log = run(small_hp(tmp_path, max_epoch=1), overwrite=True)
    assert "removed" in log
    assert not os.path.exists(tmp_path / "model-2.index")
    assert not os.path.exists(tmp_path / "sample1.jpg")
