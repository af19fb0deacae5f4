"""The local stack of the Jena portal: PostgreSQL, Redis, Solr and CKAN on 127.0.0.1, without Docker.

Run as ``python3 -m stack <command>`` from the repository root (the Makefile does). Standard
library only, so it runs before any virtualenv exists.
"""
