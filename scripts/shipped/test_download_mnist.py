"""download_mnist.py: fetching and checking the MNIST files."""

import functools
import gzip
import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

# The instruments' tests: in the full suite, not in the fast tier.
pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCRIPT = HERE / "download_mnist.py"
BUNDLED = ROOT / "MNIST_data"


PINNED = {
    "train-images-idx3-ubyte.gz":
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz":
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz":
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz":
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


class Server:
    """A static file server on 127.0.0.1 that records the paths requested."""

    def __init__(self, folder):
        self.requests = []
        requests = self.requests

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                requests.append(self.path)

        handler = functools.partial(Handler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        # A short poll interval makes shutdown() quick at teardown.
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def served(tmp_path):
    """A folder with copies of the bundled .gz files, and its server."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    for name in PINNED:
        shutil.copyfile(BUNDLED / name, folder / name)
    server = Server(folder)
    yield folder, server
    server.close()


def run(mirror, out):
    """Run the script; return (exit status, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--mirror", mirror, "--out", str(out),
         "--timeout", "10"],
        capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout, proc.stderr


def decompressed_sha256(path):
    with gzip.open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def assert_one_line_error(stderr, *words):
    """stderr is exactly one ``download_mnist: error:`` line with ``words``."""
    assert stderr.count("\n") == 1, stderr
    assert stderr.startswith("download_mnist: error: "), stderr
    assert "Traceback" not in stderr
    for word in words:
        assert word in stderr, stderr


def assert_only_verified_files(out):
    """Every file in ``out`` is a pinned file with the right content."""
    for entry in os.listdir(out):
        assert entry in PINNED, f"unexpected {entry} left in {out}"
        assert decompressed_sha256(out / entry) == PINNED[entry]


def test_help():
    proc = subprocess.run([sys.executable, str(SCRIPT), "--help"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    assert "--mirror" in proc.stdout and "--out" in proc.stdout


def test_downloads_and_verifies_all_files(served, tmp_path):
    _, server = served
    out = tmp_path / "new" / "MNIST_data"  # the folder is created
    status, stdout, stderr = run(server.url, out)
    assert status == 0, stderr
    assert stderr == ""
    assert sorted(os.listdir(out)) == sorted(PINNED)
    for name, sha in PINNED.items():
        assert decompressed_sha256(out / name) == sha
        assert name in stdout  # progress names every file


def test_mirror_without_trailing_slash(served, tmp_path):
    folder, server = served
    for name in list(PINNED)[:3]:
        shutil.copyfile(folder / name, tmp_path / name)  # only one to fetch
    status, _, stderr = run(server.url.rstrip("/"), tmp_path)
    assert status == 0, stderr
    assert server.requests == ["/t10k-labels-idx1-ubyte.gz"]


def test_corrupt_file_is_not_kept(served, tmp_path):
    folder, server = served
    bad = "train-labels-idx1-ubyte.gz"
    # Valid gzip, right size, different content: only the checksum can tell.
    (folder / bad).write_bytes(gzip.compress(bytes(60008)))
    out = tmp_path / "out"
    status, _, stderr = run(server.url, out)
    assert status == 2
    assert_one_line_error(stderr, bad, server.url + bad, "SHA-256", "--mirror")
    assert not (out / bad).exists()
    assert_only_verified_files(out)  # no temp file, nothing unverified


def test_file_that_is_not_gzip_is_not_kept(served, tmp_path):
    folder, server = served
    bad = "t10k-labels-idx1-ubyte.gz"
    (folder / bad).write_bytes(b"<html>Access Denied</html>\n")
    out = tmp_path / "out"
    status, _, stderr = run(server.url, out)
    assert status == 2
    assert_one_line_error(stderr, bad, "not a valid gzip")
    assert not (out / bad).exists()
    assert_only_verified_files(out)


def test_missing_file_on_server(served, tmp_path):
    folder, server = served
    gone = "train-images-idx3-ubyte.gz"
    (folder / gone).unlink()
    out = tmp_path / "out"
    status, _, stderr = run(server.url, out)
    assert status == 2
    assert_one_line_error(stderr, server.url + gone, "404", "--mirror")
    # It was the first file, so the run left nothing, not even the folder.
    assert not out.exists()


def test_unreachable_host(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    status, _, stderr = run(f"http://127.0.0.1:{port}/", out)
    assert status == 2
    assert_one_line_error(stderr, f"127.0.0.1:{port}", "cannot reach")
    assert not out.exists()


def test_connection_closed_early(tmp_path):
    # A server that promises 1000 bytes, sends 3 and hangs up.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_once():
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc")

    thread = threading.Thread(target=answer_once, daemon=True)
    thread.start()
    out = tmp_path / "out"
    try:
        status, _, stderr = run(f"http://127.0.0.1:{port}/", out)
    finally:
        thread.join(timeout=10)
        listener.close()
    assert status == 2
    assert_one_line_error(stderr, "train-images-idx3-ubyte.gz", "cut short",
                          "3 of 1000")
    assert not out.exists()


def _copied(folder, tmp_path):
    """A new folder holding the served files: what an earlier run left."""
    out = tmp_path / "out"
    out.mkdir()
    for name in PINNED:
        shutil.copyfile(folder / name, out / name)
    return out


def test_present_correct_files_are_skipped(served, tmp_path):
    folder, server = served
    out = _copied(folder, tmp_path)
    before = {name: (out / name).stat().st_mtime_ns for name in PINNED}
    status, stdout, stderr = run(server.url, out)
    assert status == 0, stderr
    assert stdout.count("skipped") == len(PINNED)
    assert server.requests == []
    assert before == {name: (out / name).stat().st_mtime_ns for name in PINNED}


def test_present_wrong_file_is_replaced(served, tmp_path):
    folder, server = served
    out = _copied(folder, tmp_path)
    damaged = "t10k-labels-idx1-ubyte.gz"
    (out / damaged).write_bytes(b"half a file")
    status, stdout, stderr = run(server.url, out)
    assert status == 0, stderr
    assert server.requests == ["/" + damaged]
    assert_only_verified_files(out)
