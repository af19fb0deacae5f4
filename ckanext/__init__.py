# ckanext is a namespace package shared by all CKAN extensions.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
