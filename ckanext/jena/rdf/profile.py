"""The ckanext-dcat RDF profiles of the Jena portal (entry points ``jena_dcat_ap_de`` and
``jena_dcat_ap_de_2``).

``jena_dcat_ap_de`` extends ckanext-dcat's DCAT-AP 3 profile (which already handles the scheming
schema) and is configured on its own: ``ckanext.dcat.rdf.profiles = jena_dcat_ap_de``. Listing
``euro_dcat_ap_3`` as well would write every DCAT-AP 3 property twice.
"""
from __future__ import annotations

from rdflib import Literal
from rdflib.namespace import XSD

from ckanext.dcat.profiles import DCAT, EuropeanDCATAP3Profile

from ckanext.jena.rdf.catalog_out import CatalogOut
from ckanext.jena.rdf.dataset_in import DatasetIn
from ckanext.jena.rdf.dataset_out import DatasetOut


class JenaDCATAPDEProfile(DatasetOut, DatasetIn, CatalogOut, EuropeanDCATAP3Profile):
    """DCAT-AP.de 3.0 with the DCAT-AP.de 2.0 GovData properties; reads DCAT-AP.de 1.0 to 3.0."""

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        dataset_dict = self._with_schema_fields(dataset_dict)
        super().graph_from_dataset(self._input_for_dcat_ap(dataset_dict), dataset_ref)
        self._add_jena_dataset(dataset_dict, dataset_ref)

    def parse_dataset(self, dataset_dict, dataset_ref):
        dataset_dict = super().parse_dataset(dataset_dict, dataset_ref)
        return self._parse_jena_dataset(dataset_dict, dataset_ref)

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        super().graph_from_catalog(catalog_dict, catalog_ref)
        self._add_jena_catalog(catalog_dict, catalog_ref)


class JenaDCATAPDE2Profile(JenaDCATAPDEProfile):
    """The same graph with dcat:byteSize typed as DCAT-AP.de 2.0 requires (xsd:decimal; 3.0 requires
    xsd:nonNegativeInteger), for harvesters that validate against 2.0:
    ``/catalog.rdf?profiles=jena_dcat_ap_de_2``."""

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        super().graph_from_dataset(dataset_dict, dataset_ref)
        # ckanext-dcat's DCAT-AP 3 step retypes every byte size of the graph on each dataset, so
        # all of them are turned back, not only this dataset's
        for distribution, size in list(self.g.subject_objects(DCAT.byteSize)):
            if size.datatype == XSD.nonNegativeInteger:
                self.g.remove((distribution, DCAT.byteSize, size))
                self.g.add((distribution, DCAT.byteSize, Literal(str(size), datatype=XSD.decimal)))
