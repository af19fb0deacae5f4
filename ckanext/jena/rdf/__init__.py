"""RDF in and out: the ``jena_dcat_ap_de`` profile of ckanext-dcat (DCAT-AP.de 3.0 plus the
DCAT-AP.de 2.0 GovData properties) and the description of the portal's catalogue.

``README.md`` next to this file maps every schema field to its RDF property.
"""
