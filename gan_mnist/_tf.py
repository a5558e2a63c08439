"""TensorFlow, imported once, quietly.

TensorFlow's C++ start-up chatter (CPU feature notes, a failed CUDA probe on
a machine without a GPU) says nothing about this program, and real failures
reach Python as exceptions anyway. Its log level is raised unless the user
set TF_CPP_MIN_LOG_LEVEL; the few lines that ignore the level (printed before
its logging starts, at import and at the first Session) are held back by
pointing file descriptor 2 elsewhere for those moments only.
"""

import contextlib
import os

_USER_LEVEL = "TF_CPP_MIN_LOG_LEVEL" in os.environ
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def quiet_stderr():
    """Discard what C++ code writes to stderr inside the block (unless the
    user asked for TensorFlow's log)."""
    if _USER_LEVEL:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


with quiet_stderr():
    import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
# Deprecation notes from inside tf.compat.v1 are for its maintainers.
tf.get_logger().setLevel("ERROR")


def session(graph, config=None):
    """A ``tf.compat.v1.Session`` on ``graph``, opened quietly."""
    with quiet_stderr():
        return v1.Session(graph=graph, config=config)
