"""gan_mnist: the classic vanilla GAN on MNIST, TensorFlow 1.x graph style.

Modules, one job each:
  config   -- hyperparameters, their defaults and the run's saved configuration
  errors   -- the one exception type that the command line turns into exit 2
  data     -- IDX parsing of the MNIST files
  model    -- graph-building functions: generator, discriminator, losses, train step
  grid     -- 8x8 sample grids as images
  fileio   -- whole-or-nothing file writes
  rundir   -- what an output folder holds; checkpoints in it
  metrics_csv -- the per-epoch metrics file
  reference -- the seed script's graph, built its way, for comparison
  train    -- ``python -m gan_mnist.train``
  classifier, metrics -- an MNIST CNN and the GAN figures in its feature space
  sampling -- a generator restored from any checkpoint
  evaluate -- ``python -m gan_mnist.evaluate``
  generate -- ``python -m gan_mnist.generate``
  views    -- TensorBoard events, losses.png, progress.gif
"""

__version__ = "0.1.0"
