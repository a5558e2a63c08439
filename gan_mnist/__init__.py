"""gan_mnist: the classic vanilla GAN on MNIST, TensorFlow 1.x graph style.

Modules, one job each, in the order data flows through a training run
(flags -> HParams -> checks -> graph -> loop -> files):

  train        ``python -m gan_mnist.train``: flags into HParams, nothing else
  config       HParams, every default in one place, recipes, config.json
  preflight    what is checked before TensorFlow loads; the run's Plan
  data         the MNIST IDX files
  streams      every random number: seed, stream and counter
  model        graph functions: generator, discriminator, dropout, losses
  optim        the seed's one Adam for both updates; the learning rates
  train_graph  the whole training step as one graph
  training     the run: restore or start, epochs, end-of-epoch files
  progress     the progress line and the per-epoch log line
  interrupt    stopping between steps on a signal or a non-finite loss
  checkpoints  finding, checking and reading checkpoints
  rundir       what a run folder holds and what may be deleted from it
  fileio       whole-or-nothing writes
  metrics_csv  the per-epoch metrics file
  grid         8x8 sample grids
  events, pictures  TensorBoard events; losses.png and progress.gif
  classifier, metrics, evaluation  the MNIST CNN, the figures, measuring images
  sampling     a generator from a checkpoint; noise; generating images
  serving, pretrained  SavedModel/TFLite export; the generator that ships
  evaluate, generate, export, views   the other commands
  reference    the seed script's graph, built its way, for comparison
  _tf, errors  quiet TensorFlow import; the one-line error type
"""

__version__ = "0.1.0"
