"""Packaging lives in setup.cfg; this file exists for tools that call setup.py."""

import setuptools

setuptools.setup()
