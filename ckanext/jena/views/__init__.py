"""Flask blueprints of the Jena plugins."""
