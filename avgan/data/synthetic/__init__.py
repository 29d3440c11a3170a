"""The synthetic ensemble: a Sub-URMP-shaped data set rendered from a seed."""
