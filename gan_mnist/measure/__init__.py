"""Measuring generated digits: the MNIST classifier, the figures (FID, MNIST
score, class KL, precision, recall) and scoring images against the test set."""
