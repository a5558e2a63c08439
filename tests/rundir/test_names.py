"""The registry of run-file names."""
from gan_mnist.rundir import names


def test_run_file_names():
    for name in ("sample12.jpg", "random_sample0.jpg", "model-3.index",
                 "model-3.data-00000-of-00001", "model-3.meta", "checkpoint",
                 "metrics.csv", "config.json", "fixed_noise.npy",
                 ".metrics.csv.ab3_x9zq.tmp.csv", "checkpoint.tmp" + "5f3a9e" * 5 + "01",
                 "model-3.data-00000-of-00001.tempstate1234", ".gan_mnist.lock"):
        assert names.is_run_file(name), name
    for name in ("notes.txt", "sample.jpg", "model.py", ".bashrc", "data.tmp",
                 "my-sample1.jpg", "model-1_notes.txt", "metrics.csv.tmpbackup",
                 "checkpoint.tmp5f3a9e", ".notes.txt.abcdefgh.tmp.txt"):
        assert not names.is_run_file(name), name
