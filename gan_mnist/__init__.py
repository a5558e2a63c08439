"""gan_mnist: the classic vanilla GAN on MNIST, TensorFlow 1.x graph style.

The module map (the one place it is kept). Commands are thin: they read
flags and call the library; no module imports a command.

Commands, ``python -m gan_mnist.<name>``
  train        flags -> HParams -> checks -> the training run
  generate     digits of a generator as a grid or an .npz
  evaluate     FID, MNIST score, class KL, precision, recall
  export       the generator as a SavedModel / TFLite
  views        redraw a run's losses.png and progress.gif
  tune         sweeps of train's options on Optuna, on one machine or many

Shared by every layer
  config       HParams: every default in one place, the recipes, the checks
  flags        the train command's flags, one per HParams field
  cli          the commands' parser, help style, source flags, run_command
  errors       the one-line error (UsageError) and failed file writes
  fileio       whole-or-nothing writes of files and folders
  data         the MNIST IDX files, headers checked
  streams      every random number's (seed, stream, counter)
  cpu          the CPU's name and features (bfloat16)
  meter        progress lines of long jobs: the share done, the time left
  _tf          TensorFlow, imported once and quietly
  _signals     Ctrl-C during a command's start-up: one line, not a traceback

graph/         the TensorFlow graph
  model        generator, discriminator, dropout masks, losses
  optim        the tutorial's one Adam for both updates; learning rates
  step         one training step: D updates, then the G update
  train_graph  the whole training graph: data, chained steps, sampling, Saver
  tutorial     the tutorial's own graph, built its way, to compare with

training/      the training run
  preflight    what is checked before TensorFlow loads; the run's Plan
  loop         restore or start, the epochs
  epoch_end    each epoch's grids, metrics, events, pictures, checkpoint
  progress     the progress line and the per-epoch log line
  interrupt    stopping on a signal or a non-finite loss; the resume command

rundir/        the run folder
  names        the one registry of run-file names
  config_json  the run's settings, saved with it
  history      one folder, one history: resuming, --branch, setting aside
  survey       what may be deleted, and what stops a run
  lock         one process at a time in a folder
  checkpoints  finding, checking and reading checkpoints
  metrics_csv  the per-epoch metrics file
  events       TensorBoard event files
  grid         the 8x8 sample grids
  pictures     losses.png and progress.gif

measure/       measuring generated digits
  classifier   the MNIST CNN whose features and classes all figures use
  figures      FID, MNIST score, class KL, precision, recall, in numpy
  scoring      images against the MNIST test set; the real-data floor
  image_files  images from an .npy or .npz, checked before they are read

sampling/      digits from a trained generator
  generator    G with fixed weights; noise; interpolation
  sources      a generator's weights: a checkpoint, a run, the shipped file
  rejection    discriminator rejection sampling; D in numpy
  refine       the noise moved down D's energy before G draws it
  pretrained   the generator that ships with the package
  serving      the generator as a SavedModel and TFLite

web/           the generator in a static page, run by the browser
  (__init__)   the page folder: templates in page/, the weights as a script

tuning/        the tune command's library
  space        the search-space file: ranges, choices, fixed options
  checks       every check of a space file, before anything starts
  trial        one configuration as a train child, its figures as it goes
  claims       which worker holds a trial folder (file locks)
  storage      connecting to the study's database, creating or loading it
  recovery     trials whose worker died: adopted or retried, never twice
  worker       one worker's loop: ask, run, report, prune
  study        N workers on this machine
  report       the best trials and the commands that train them again
  picture      the study as a PNG: the figure against minutes
"""

__version__ = "0.1.0"

import sys as _sys

# While ``python -m gan_mnist.<command>`` starts, Python's argv[0] is still
# "-m": only then is a signal made to end the start-up in one line.
if _sys.argv[:1] == ["-m"] and len(getattr(_sys, "orig_argv", ())) > 2:
    from . import _signals
    _signals.quiet(_sys.orig_argv[_sys.orig_argv.index("-m") + 1])
