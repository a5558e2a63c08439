"""The run folder (``--output``): the names of its files, what may be deleted
from it, its lock, checkpoints, metrics, events and pictures."""
