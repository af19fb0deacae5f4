"""WSGI entry point for gunicorn: the CKAN app configured by the file named in ``CKAN_INI``."""
import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

_config_file = os.environ["CKAN_INI"]
fileConfig(_config_file, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(_config_file).get_config())
