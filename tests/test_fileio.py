"""Whole-or-nothing writes."""

import os

import pytest

from gan_mnist import fileio


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "a.txt"
    fileio.write_text(path, "old")
    with pytest.raises(RuntimeError):
        with fileio.atomic_path(str(path)) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("killed")
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]
    fileio.write_text(path, "new")
    assert path.read_text() == "new" and os.listdir(tmp_path) == ["a.txt"]
    assert oct(os.stat(path).st_mode & 0o777) != oct(0o600)
