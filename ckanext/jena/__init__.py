"""ckanext-jena: the CKAN extension behind the open data portal of the city of Jena."""
