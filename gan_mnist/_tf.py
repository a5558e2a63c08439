"""TensorFlow, imported once, quietly.

TensorFlow's C++ start-up chatter (CPU feature notes, a failed CUDA probe on
a machine without a GPU) says nothing about this program, and real failures
reach Python as exceptions anyway; so its log is off unless the user set
TF_CPP_MIN_LOG_LEVEL.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1
