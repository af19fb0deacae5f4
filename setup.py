"""Packaging of ckanext-jena (distribution ``ckanext-jena-portal``).

The build compiles the gettext catalogs kept in the top-level ``i18n/`` folder into
``ckanext/jena/i18n`` so that an installed wheel carries its translations.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
CATALOG_DOMAIN = "ckanext-jena"


class BuildWithTranslations(build_py):
    """Compile ``i18n/<locale>/LC_MESSAGES/*.po`` into the package being built."""

    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in sorted((HERE / "i18n").glob(f"*/LC_MESSAGES/{CATALOG_DOMAIN}.po")):
            locale = po_path.parent.parent.name
            target = Path(self.build_lib, "ckanext", "jena", "i18n", locale, "LC_MESSAGES")
            target.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=locale)
            with (target / f"{CATALOG_DOMAIN}.mo").open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithTranslations})
