"""Networks: encoders, autoencoder, generators and discriminators."""
