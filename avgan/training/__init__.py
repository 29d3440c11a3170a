"""Training: losses, the GAN-CLS step, callbacks, classifier training."""
