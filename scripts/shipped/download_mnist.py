#!/usr/bin/env python3
"""Download the four MNIST files and verify them before keeping them.

    python scripts/shipped/download_mnist.py                  # into MNIST_data/
    python scripts/shipped/download_mnist.py --out DIR --mirror URL

Each ``.gz`` file is fetched from ``--mirror`` (a base URL), decompressed in
memory and checked against the pinned SHA-256 of its decompressed bytes. Only
then is it written, under a temporary name in the target folder that is
renamed into place, so a file is there whole and verified or not at all.
The pin covers the decompressed bytes because mirrors wrap the same data in
different .gz files (the gzip header stores a time and a name).

Files already present whose decompressed bytes match are skipped. Any
failure prints one line ``download_mnist: error: ...`` and exits with
status 2.

Standard library only, so it runs before the package is installed.
"""

import argparse
import gzip
import hashlib
import http.client
import io
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zlib

PROG = "download_mnist"
DEFAULT_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
DEFAULT_OUT = "MNIST_data"
CHUNK = 1 << 16

# File name -> (decompressed size in bytes, SHA-256 of the decompressed bytes).
# These are the original release's bytes, as pinned by public MNIST loaders.
FILES = {
    "train-images-idx3-ubyte.gz": (
        47040016,
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte.gz": (
        60008,
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte.gz": (
        7840016,
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte.gz": (
        10008,
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}


class DownloadError(Exception):
    """A failure to report in one line; the message names the file or URL."""


def decompressed_sha256(gz_bytes, size, what):
    """Return the SHA-256 (hex) of the decompressed ``gz_bytes``.

    Reads at most ``size + 1`` bytes, so a wrong file cannot fill memory; a
    longer file then simply fails the checksum. ``what`` names the source in
    the error raised when the bytes are not valid gzip.
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(gz_bytes)) as f:
            data = f.read(size + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise DownloadError(f"{what} is not a valid gzip file ({e})") from None
    return hashlib.sha256(data).hexdigest()


def is_present_and_correct(path, name):
    """True when ``path`` exists and its decompressed bytes match the pin."""
    if not os.path.isfile(path):
        return False
    size, sha = FILES[name]
    try:
        with open(path, "rb") as f:
            return decompressed_sha256(f.read(), size, path) == sha
    except (OSError, DownloadError):
        return False  # unreadable or damaged: download it again


def human(n):
    """``n`` bytes as a short size: MB for the image files, kB for labels."""
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def show_progress(name, done, total):
    """Print how far one download is; redraw one line on a terminal only."""
    if not sys.stdout.isatty():
        return  # a log file gets only the final line per file
    of_total = f" of {human(total)}" if total else ""
    print(f"\r{name}: {human(done)}{of_total}", end="", flush=True)


def fetch(url, name, timeout):
    """Return the body of ``url`` as bytes, showing progress under ``name``."""
    chunks, done = [], 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            total = int(resp.headers.get("Content-Length") or 0)
            while True:
                chunk = resp.read(CHUNK)
                if not chunk:
                    break
                chunks.append(chunk)
                done += len(chunk)
                show_progress(name, done, total)
            if total and done != total:
                # The connection closed early; http.client does not say so.
                raise DownloadError(
                    f"download of {url} cut short: {done} of {total} bytes; "
                    "run again or pass another --mirror")
    except urllib.error.HTTPError as e:
        raise DownloadError(
            f"cannot download {url}: HTTP {e.code} {e.reason}; "
            "check --mirror or try another mirror") from None
    except urllib.error.URLError as e:
        raise DownloadError(
            f"cannot reach {url} ({e.reason}); check the network "
            "or pass another --mirror") from None
    except (OSError, http.client.HTTPException, ValueError) as e:
        # OSError: timeout or reset; HTTPException: a body cut short or a
        # garbled reply; ValueError: a --mirror that is not a URL.
        raise DownloadError(
            f"cannot download {url} ({e}); check --mirror and the network"
        ) from None
    finally:
        if done and sys.stdout.isatty():
            print()  # end the progress line, even when the download failed
    return b"".join(chunks)


def write_whole(path, data):
    """Write ``data`` to ``path`` whole or not at all.

    The bytes go to a temporary file in the same folder (so the rename does
    not cross file systems), are flushed to disk, then renamed over ``path``.
    On any failure, Ctrl-C included, the temporary file is removed.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def download_one(name, mirror, out_dir, timeout):
    """Fetch, verify and write one file, or skip it if already correct."""
    path = os.path.join(out_dir, name)
    if is_present_and_correct(path, name):
        print(f"{name}: already present and verified, skipped")
        return
    url = mirror + name
    data = fetch(url, name, timeout)
    size, sha = FILES[name]
    got = decompressed_sha256(data, size, f"{name} from {url}")
    if got != sha:
        raise DownloadError(
            f"{name} from {url}: SHA-256 of the decompressed bytes is {got}, "
            f"expected {sha}; the mirror serves a different file, "
            "try another --mirror")
    try:
        write_whole(path, data)
    except OSError as e:
        raise DownloadError(
            f"cannot write {path} ({e}); check the folder and free space"
        ) from None
    print(f"{name}: {len(data)} bytes downloaded, verified, written to {path}")


def remove_if_empty(folder, created):
    """Remove ``folder`` if this run created it and a failure left it empty."""
    if created:
        try:
            os.rmdir(folder)  # fails, harmlessly, when a file was kept
        except OSError:
            pass


def parse_args(argv):
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Download the four MNIST .gz files and keep each only "
                    "if the SHA-256 of its decompressed bytes matches.")
    parser.add_argument(
        "--mirror", default=DEFAULT_MIRROR, metavar="URL",
        help=f"base URL that holds the four .gz files (default: {DEFAULT_MIRROR})")
    parser.add_argument(
        "--out", default=DEFAULT_OUT, metavar="DIR",
        help=f"folder to write the files to, created if missing "
             f"(default: {DEFAULT_OUT})")
    parser.add_argument(
        "--timeout", type=float, default=60.0, metavar="SECONDS",
        help="network timeout per request (default: 60)")
    return parser.parse_args(argv)


def main(argv=None):
    """Download every missing or wrong file; return the exit status."""
    args = parse_args(argv)
    mirror = args.mirror if args.mirror.endswith("/") else args.mirror + "/"
    created = not os.path.isdir(args.out)
    try:
        try:
            os.makedirs(args.out, exist_ok=True)
        except OSError as e:
            raise DownloadError(f"cannot create folder {args.out} ({e})") from None
        for name in FILES:
            download_one(name, mirror, args.out, args.timeout)
    except DownloadError as e:
        remove_if_empty(args.out, created)
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        remove_if_empty(args.out, created)
        print(f"{PROG}: interrupted; files not yet verified were not kept",
              file=sys.stderr)
        return 130
    print(f"all {len(FILES)} MNIST files verified in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
