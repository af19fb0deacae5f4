"""Demo content of the Jena portal: data in ``content.yaml`` and ``files/``, loaded by ``loader``."""
