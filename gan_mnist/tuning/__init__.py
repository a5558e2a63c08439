"""Hyperparameter studies of the train command on Optuna (``python -m
gan_mnist.tune``).

One module per job:

- ``space``: the search-space file (TOML or JSON), the built-in space, and
  the train flags of one configuration; ``checks`` validates a space.
- ``trial``: one configuration as a train subprocess in its folder, its
  evaluations read from metrics.csv as it goes (usable by other scripts).
- ``claims``: file locks that tell live workers from dead ones.
- ``storage``: the Optuna storage and study (connecting, checking, creating).
- ``recovery``: finding trials whose worker died, on this machine or another.
- ``worker``: one worker's loop (take a trial, run it, tell Optuna).
- ``study``: a study on this machine: N worker processes, signals, exit.
- ``report`` and ``picture``: the best trials as text, the study as a PNG.
- ``command``: the parser and the exit handling shared with the other commands.

Nothing here imports TensorFlow; only the train children load it. Optuna is
imported by ``storage``, ``recovery``, ``worker``, ``study`` and ``report``,
never by ``space``, ``checks``, ``trial`` or ``claims``.
"""
