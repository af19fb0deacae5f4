"""Every message of the extension is extracted, translated into German and English, and shipped."""
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

REPO_ROOT = Path(__file__).resolve().parent.parent
I18N = REPO_ROOT / "i18n"
DOMAIN = "ckanext-jena"
LOCALES = ("de", "en")


def catalog(locale):
    with (I18N / locale / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as stream:
        return read_po(stream, locale=locale)


def extracted_messages(tmp_path):
    """Run the extraction the README documents and return the message ids it finds."""
    template = tmp_path / "extracted.pot"
    subprocess.run(
        [str(Path(sys.executable).parent / "pybabel"), "-q", "extract", "-F", str(I18N / "babel.cfg"),
         "-o", str(template), "ckanext"],
        cwd=REPO_ROOT, check=True,
    )
    with template.open("rb") as stream:
        return {message.id for message in read_po(stream) if message.id}


def test_the_template_holds_every_message_of_the_source(tmp_path):
    with (I18N / f"{DOMAIN}.pot").open("rb") as stream:
        committed = {message.id for message in read_po(stream) if message.id}
    extracted = extracted_messages(tmp_path)
    assert extracted, "extraction found no messages at all"
    missing = extracted - committed
    assert not missing, f"run the extraction (README, Translations); not in the .pot yet: {sorted(missing)}"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated_and_not_fuzzy(locale, tmp_path):
    translations = catalog(locale)
    expected = extracted_messages(tmp_path)
    by_id = {message.id: message for message in translations if message.id}
    untranslated = sorted(
        str(message_id) for message_id in expected
        if message_id not in by_id or not by_id[message_id].string
        or (isinstance(by_id[message_id].string, tuple) and not all(by_id[message_id].string))
    )
    fuzzy = sorted(str(message.id) for message in translations if message.id and message.fuzzy)
    assert not untranslated, f"{locale}: untranslated {untranslated}"
    assert not fuzzy, f"{locale}: fuzzy {fuzzy}"


def test_the_built_wheel_carries_compiled_catalogs(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(REPO_ROOT)],
        check=True,
    )
    wheel = next(tmp_path.glob("ckanext_jena_portal-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for locale in LOCALES:
        assert f"ckanext/jena/i18n/{locale}/LC_MESSAGES/{DOMAIN}.mo" in names
    assert "ckanext/jena/templates/footer.html" in names
    assert "ckanext/jena/config_declaration.yaml" in names
