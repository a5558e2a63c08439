"""gan_mnist: the classic vanilla GAN on MNIST, TensorFlow 1.x graph style.

Modules, one job each:
  config   -- hyperparameters, their defaults and the run's saved configuration
  errors   -- the one exception type that the command line turns into exit 2
  data     -- IDX parsing of the MNIST files
  model    -- graph-building functions: generator, discriminator, losses, train step
  grid     -- 8x8 sample grids as images
  fileio   -- whole-or-nothing file writes
  train    -- ``python -m gan_mnist.train``
"""

__version__ = "0.1.0"
