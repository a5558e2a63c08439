"""The MNIST IDX files: parsing, lookup and the error messages."""

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from gan_mnist import data
from gan_mnist.cli import exit_with
from gan_mnist.data import DataError, load_mnist, parse_idx, read_idx
from gan_mnist.errors import UsageError

BUNDLED = Path(__file__).resolve().parents[1] / "MNIST_data"


TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


TEST_LABEL_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


NAMES = {
    "release": {("train", "images"): "train-images-idx3-ubyte",
                ("train", "labels"): "train-labels-idx1-ubyte",
                ("test", "images"): "t10k-images-idx3-ubyte",
                ("test", "labels"): "t10k-labels-idx1-ubyte"},
    "dotted": {("train", "images"): "train-images.idx3-ubyte",
               ("train", "labels"): "train-labels.idx1-ubyte",
               ("test", "images"): "t10k-images.idx3-ubyte",
               ("test", "labels"): "t10k-labels.idx1-ubyte"},
}


def idx_bytes(magic, dims, payload=None):
    """Build an IDX file: magic, one uint32 per dimension, then the payload.

    Without ``payload``, the data is a known pattern (0, 1, 2, ... mod 256),
    so a test can tell the bytes were read in order.
    """
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims)
    if payload is None:
        payload = (np.arange(int(np.prod(dims))) % 256).astype(np.uint8).tobytes()
    return header + payload


def image_bytes(n, side=28):
    return idx_bytes(data.IMAGE_MAGIC, (n, side, side))


def label_bytes(n):
    labels = (np.arange(n) % 10).astype(np.uint8).tobytes()
    return idx_bytes(data.LABEL_MAGIC, (n,), labels)


def write(folder, name, raw, gz=False):
    """Write ``raw`` to ``folder/name`` (``name.gz``, compressed, if gz)."""
    path = Path(folder) / (name + ".gz" if gz else name)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return str(path)


def write_split(folder, split="train", n=5, names="release", gz=False):
    """Write a consistent images/labels pair of ``n`` items; return paths."""
    img = write(folder, NAMES[names][(split, "images")], image_bytes(n), gz)
    lbl = write(folder, NAMES[names][(split, "labels")], label_bytes(n), gz)
    return img, lbl


def assert_one_line_naming(excinfo, path):
    """The error is a DataError whose single-line message names ``path``."""
    msg = str(excinfo.value)
    assert isinstance(excinfo.value, UsageError)
    assert "\n" not in msg
    assert str(path) in msg, msg


@pytest.mark.parametrize("names", ["release", "dotted"])
@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("split", ["train", "test"])
def test_load_accepts_release_and_dotted_names_raw_or_gz(tmp_path, names, gz,
                                                         split):
    write_split(tmp_path, split, n=7, names=names, gz=gz)
    images, labels = load_mnist(str(tmp_path), split)
    assert images.shape == (7, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (7,) and labels.dtype == np.uint8
    # The pattern written by idx_bytes comes back in file order.
    flat = images.reshape(-1)
    assert np.array_equal(flat, np.arange(flat.size) % 256)
    assert labels.tolist() == list(range(7))


def test_release_name_wins_over_dotted_name(tmp_path):
    release, _ = write_split(tmp_path, n=3, names="release")
    write_split(tmp_path, n=4, names="dotted")
    assert data.find_file(str(tmp_path), "train", "images") == release
    images, labels = load_mnist(str(tmp_path))
    assert len(images) == len(labels) == 3


def test_parse_idx_shapes():
    images = parse_idx(image_bytes(2), data.IMAGE_MAGIC)
    labels = parse_idx(label_bytes(2), data.LABEL_MAGIC)
    assert images.shape == (2, 28, 28) and labels.tolist() == [0, 1]


def test_zero_items_is_a_valid_file(tmp_path):
    write_split(tmp_path, n=0)
    images, labels = load_mnist(str(tmp_path))
    assert images.shape == (0, 28, 28) and labels.shape == (0,)


@pytest.mark.parametrize("limit, expected", [(None, 6), (2, 2), (1, 1),
                                             (6, 6), (100, 6)])
def test_limit_keeps_the_first_items_in_order(tmp_path, limit, expected):
    write_split(tmp_path, n=6)
    full_images, full_labels = load_mnist(str(tmp_path))
    images, labels = load_mnist(str(tmp_path), limit=limit)
    assert len(images) == len(labels) == expected
    assert np.array_equal(images, full_images[:expected])
    assert np.array_equal(labels, full_labels[:expected])


def test_unknown_split_is_a_programming_error(tmp_path):
    write_split(tmp_path)
    with pytest.raises(ValueError, match="split"):
        load_mnist(str(tmp_path), "validation")


def test_missing_folder(tmp_path):
    folder = tmp_path / "nowhere"
    with pytest.raises(DataError) as excinfo:
        load_mnist(str(folder))
    assert_one_line_naming(excinfo, folder)
    assert "--data-dir" in str(excinfo.value)


@pytest.mark.parametrize("kind", ["images", "labels"])
def test_missing_file_says_how_to_get_it(tmp_path, kind):
    img, lbl = write_split(tmp_path)
    os.remove(img if kind == "images" else lbl)
    with pytest.raises(DataError) as excinfo:
        load_mnist(str(tmp_path))
    assert_one_line_naming(excinfo, tmp_path / NAMES["release"][("train", kind)])
    assert "--data-dir" in str(excinfo.value)


def test_missing_test_split_only(tmp_path):
    write_split(tmp_path, "train")
    load_mnist(str(tmp_path), "train")
    with pytest.raises(DataError) as excinfo:
        load_mnist(str(tmp_path), "test")
    assert_one_line_naming(excinfo, tmp_path / "t10k-images-idx3-ubyte")


def broken_images(tmp_path, raw, gz=False):
    """Write good labels and the given images bytes; return the images path."""
    write(tmp_path, NAMES["release"][("train", "labels")], label_bytes(3), gz)
    return write(tmp_path, NAMES["release"][("train", "images")], raw, gz)


BROKEN_IMAGES = {
    # A labels file where the images belong.
    "wrong magic": label_bytes(3),
    "not idx at all": b"<html>404 Not Found</html>" * 40,
    "shorter than a magic": b"\x00\x00\x08",
    "truncated header": struct.pack(">III", data.IMAGE_MAGIC, 3, 28),
    "truncated payload": image_bytes(3)[:-1],
    "over-long payload": image_bytes(3) + b"\x00",
    "wrong image sides": image_bytes(3, side=32),
}


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize("case", sorted(BROKEN_IMAGES))
def test_broken_images_file(tmp_path, case, gz):
    path = broken_images(tmp_path, BROKEN_IMAGES[case], gz)
    with pytest.raises(DataError) as excinfo:
        load_mnist(str(tmp_path))
    assert_one_line_naming(excinfo, path)


def test_broken_messages_say_what_is_wrong(tmp_path):
    expected = {"wrong magic": "magic number 2049, expected 2051",
                "truncated header": "truncated header",
                "truncated payload": "truncated",
                "over-long payload": "longer than its header says",
                "wrong image sides": "32x32, expected 28x28"}
    for case, words in expected.items():
        with pytest.raises(DataError, match=words):
            parse_idx(BROKEN_IMAGES[case], data.IMAGE_MAGIC, "f")


def test_broken_labels_file(tmp_path):
    write(tmp_path, NAMES["release"][("train", "images")], image_bytes(3))
    path = write(tmp_path, NAMES["release"][("train", "labels")],
                 label_bytes(3)[:-2])
    with pytest.raises(DataError) as excinfo:
        load_mnist(str(tmp_path))
    assert_one_line_naming(excinfo, path)


def test_count_mismatch_names_both_files(tmp_path):
    img = write(tmp_path, NAMES["release"][("train", "images")], image_bytes(4))
    lbl = write(tmp_path, NAMES["release"][("train", "labels")], label_bytes(3))
    with pytest.raises(DataError) as excinfo:
        load_mnist(str(tmp_path))
    assert_one_line_naming(excinfo, img)
    assert lbl in str(excinfo.value)


def corrupt_gzips():
    """Ways a .gz file can be damaged, each hitting a different check."""
    good = gzip.compress(image_bytes(3), mtime=0)
    crc_at = len(good) - 8  # the trailer: CRC-32, then the size, 4 bytes each
    middle = len(good) // 2
    return {
        "not gzip": image_bytes(3),  # raw bytes under a .gz name
        "cut short": good[: len(good) // 2],
        "bad crc": good[:crc_at] + bytes(4) + good[crc_at + 4:],
        "damaged deflate": good[:10] + b"\xff" * 16 + good[26:],
        "damaged middle": good[:middle] + bytes(b ^ 0xFF for b in
                                                good[middle:middle + 8])
                          + good[middle + 8:],
        "empty": b"",
    }


@pytest.mark.parametrize("case", sorted(corrupt_gzips()))
def test_corrupt_gzip(tmp_path, case):
    write(tmp_path, NAMES["release"][("train", "labels")], label_bytes(3))
    path = tmp_path / (NAMES["release"][("train", "images")] + ".gz")
    path.write_bytes(corrupt_gzips()[case])
    with pytest.raises(DataError) as excinfo:
        load_mnist(str(tmp_path))
    assert_one_line_naming(excinfo, path)


def test_read_idx_on_a_folder(tmp_path):
    folder = tmp_path / "train-images-idx3-ubyte"
    folder.mkdir()
    with pytest.raises(DataError) as excinfo:
        read_idx(str(folder), data.IMAGE_MAGIC)
    assert_one_line_naming(excinfo, folder)


def test_data_error_exits_with_status_2_and_one_line(tmp_path, capsys):
    with pytest.raises(DataError) as excinfo:
        load_mnist(str(tmp_path / "nowhere"))
    with pytest.raises(SystemExit) as exited:
        exit_with(excinfo.value)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("gan_mnist: error: ") and err.count("\n") == 1


def test_bundled_mnist_matches_its_readme():
    train_images, train_labels = load_mnist(str(BUNDLED), "train")
    test_images, test_labels = load_mnist(str(BUNDLED), "test")
    assert train_images.shape == (60000, 28, 28)
    assert test_images.shape == (10000, 28, 28)
    assert train_images.dtype == test_images.dtype == np.uint8
    assert train_labels.shape == (60000,) and test_labels.shape == (10000,)
    assert np.bincount(train_labels, minlength=10).tolist() == TRAIN_LABEL_COUNTS
    assert np.bincount(test_labels, minlength=10).tolist() == TEST_LABEL_COUNTS
    # Digits are ink on a blank page: the full range appears, corners are 0.
    assert train_images.min() == 0 and train_images.max() == 255
    assert not train_images[:, 0, 0].any()


def test_without_a_folder_named_the_tutorials_one_or_the_packaged_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder, line = data.locate(None)
    assert folder == data.PACKAGED_DIR and "packaged with gan_mnist" in line
    assert load_mnist(folder, "test")[0].shape == (10000, 28, 28)
    (tmp_path / "MNIST_data").mkdir()
    assert data.locate(None) == ("MNIST_data", None)
    assert data.locate("/some/where") == ("/some/where", None)


def test_the_packaged_files_are_the_repos_files():
    for name in sorted(os.listdir(BUNDLED)):
        packaged = os.path.join(data.PACKAGED_DIR, name)
        with open(packaged, "rb") as a, open(os.path.join(BUNDLED, name), "rb") as b:
            assert a.read() == b.read(), name


def test_a_header_check_reads_no_payload(tmp_path):
    write_split(tmp_path, "test", 3)
    data.check_split(str(tmp_path), "test")
    os.remove(tmp_path / "t10k-labels-idx1-ubyte")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x03" + b"\0" * 12)
    with pytest.raises(data.DataError, match="not an MNIST labels file"):
        data.check_split(str(tmp_path), "test")
