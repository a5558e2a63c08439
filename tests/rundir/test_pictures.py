"""losses.png, progress.gif and the TensorBoard events of a run."""

import glob

import pytest
from conftest import run, small_hp
from skimage.io import imread

from gan_mnist._tf import tf
from gan_mnist.rundir import pictures


def test_views_follow_the_run(tiny_run):
    losses = imread(tiny_run / "losses.png")
    assert losses.shape[0] > 200 and losses.shape[1] > 4 * 300  # 4 panels
    gif = imread(tiny_run / "progress.gif")
    assert gif.shape[1:3] == (259, 259)
    (events,) = glob.glob(str(tiny_run / "logs" / "events.out.tfevents.*"))
    tags = {}
    for e in tf.compat.v1.train.summary_iterator(events):
        for v in e.summary.value:
            tags.setdefault(v.tag, []).append(e.step)
    assert tags["d_loss"] == [0, 1] and tags["fid"] == [1]
    assert tags["samples (fixed noise)"] == [0, 1]


def test_gif_frames_are_spaced_and_end_with_the_newest(tmp_path):
    for e in range(250):
        (tmp_path / f"sample{e}.jpg").write_bytes(b"")
    frames = pictures.sample_frames(str(tmp_path), max_frames=100)
    assert len(frames) == 100
    assert frames[0].endswith("sample0.jpg") and frames[-1].endswith("sample249.jpg")


@pytest.mark.slow
def test_resumed_run_marks_its_restart_for_tensorboard(tmp_path):
    run(small_hp(tmp_path, max_epoch=1))
    run(small_hp(tmp_path, max_epoch=2), restore=True)
    logs = sorted(glob.glob(str(tmp_path / "logs" / "*")))
    assert len(logs) == 2
    starts = [e.step for e in tf.compat.v1.train.summary_iterator(logs[1])
              if e.HasField("session_log")]
    assert starts == [1]
