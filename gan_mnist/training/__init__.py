"""The training run: checks before TensorFlow loads, the loop over epochs,
what it prints, and how it stops."""
