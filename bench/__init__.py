"""Benchmark of the Jena portal against stock CKAN on the same machine, release and virtualenv.

Run as ``python3 -m bench`` from the repository root (``make bench`` does). Standard library
only, like ``stack/``, so it runs with the system Python and needs no virtualenv of its own;
CKAN itself runs from the stack's virtualenv. See ``bench/README.md``.
"""
