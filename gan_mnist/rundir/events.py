"""TensorBoard event files of a run, written with TensorFlow's own protos.

``EventLog`` appends the scalars of metrics.csv and the fixed-noise grid of
every epoch to ``<run>/logs/events.out.tfevents.*``; ``tensorboard --logdir
<run>/logs`` shows them. No TensorBoard install is needed to write them.
"""

import os
import socket
import time

from .._tf import tf, v1
from .names import LOGS_DIR


class EventLog:
    """Append-only TensorBoard event file in ``folder/logs``.

    Each instance writes its own file, as TensorBoard expects of each process.
    ``start_step`` marks a resume: TensorBoard then drops the events that an
    earlier, interrupted process wrote for that step and later ones, so the
    curves show each epoch once.
    """

    def __init__(self, folder, start_step=0):
        logdir = os.path.join(folder, LOGS_DIR)
        os.makedirs(logdir, exist_ok=True)
        name = f"events.out.tfevents.{time.time():.6f}.{socket.gethostname()}"
        self._writer = tf.io.TFRecordWriter(os.path.join(logdir, name))
        self._write(v1.Event(file_version="brain.Event:2"))
        if start_step:
            self._write(v1.Event(step=start_step, session_log=v1.SessionLog(
                status=v1.SessionLog.START)))
        self.flush()

    def _write(self, event):
        event.wall_time = time.time()
        self._writer.write(event.SerializeToString())

    def scalars(self, step, values):
        """Log {tag: float} at ``step``."""
        values = [v1.Summary.Value(tag=k, simple_value=float(v))
                  for k, v in values.items()]
        self._write(v1.Event(step=step, summary=v1.Summary(value=values)))

    def image(self, step, tag, pixels):
        """Log a uint8 grayscale image (h, w) at ``step``."""
        img = v1.Summary.Image(height=pixels.shape[0], width=pixels.shape[1],
                               colorspace=1, encoded_image_string=encode_png(pixels))
        self._write(v1.Event(step=step, summary=v1.Summary(
            value=[v1.Summary.Value(tag=tag, image=img)])))

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


def encode_png(pixels):
    """PNG bytes of a uint8 grayscale array (h, w)."""
    import imageio.v3 as iio
    return iio.imwrite("<bytes>", pixels, extension=".png")
