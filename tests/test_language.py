"""Every page speaks its language: German at "/", English under "/en/", a switch to the same page.

Each page type is fetched in both languages from a real CKAN; the test reads the document's
``lang``, the ``hreflang`` alternates in the head and the header's switch link.
"""
import lxml.html
import pytest

from ckan.tests import factories, helpers

from tests.test_bilingual import german_only

PLUGINS = "jena scheming_datasets"
SITE_URL = "http://test.ckan.net"
pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.ckan_config("ckan.site_url", SITE_URL),
    pytest.mark.usefixtures("clean_db", "clean_index", "with_plugins"),
]

OTHER = {"de": "en", "en": "de"}
PREFIX = {"de": "", "en": "/en"}
# The switch's visible name is the language's own name; its hidden hint is in the page's language.
SWITCH_NAME = {"de": "Deutsch", "en": "English"}
SWITCH_HINT = {"de": "This page in German", "en": "Diese Seite auf Englisch"}


@pytest.fixture
def portal():
    """One thing of every kind, so each page type has something to show."""
    sysadmin = factories.SysadminWithToken()
    organization = factories.Organization(name="mobilitaet", title="Fachdienst Mobilität")
    group = factories.Group(name="verkehr", title="Verkehr")
    dataset = helpers.call_action("package_create", {"user": sysadmin["name"]},
                                  groups=[{"name": group["name"]}], **german_only(organization["id"]))
    return {
        "headers": {"Authorization": sysadmin["token"]},
        "paths": {
            "home": "/",
            "search": "/dataset/?q=Parken&sort=score+desc%2C+metadata_modified+desc",
            "dataset": f"/dataset/{dataset['name']}",
            "resource": f"/dataset/{dataset['name']}/resource/{dataset['resources'][0]['id']}",
            "organization": "/organization/mobilitaet?q=Park",
            "group": "/group/verkehr",
            "login": "/user/login",
            "dataset_form": "/dataset/new",
            "accessibility_statement": "/accessibility",
            "accessibility_feedback": "/accessibility/feedback?page=%2Fdataset%2F",
        },
    }


def language_facts(body):
    """The document language, the alternates and the switch links of a page."""
    document = lxml.html.document_fromstring(body)
    alternates = {
        link.get("hreflang"): link.get("href")
        for link in document.xpath("//head/link[@rel='alternate'][@hreflang]")
    }
    switches = [
        {"href": link.get("href"), "hreflang": link.get("hreflang"), "lang": link.get("lang"),
         "name": " ".join(link.text_content().split()),
         "hint": " ".join("".join(link.xpath(".//*[contains(@class, 'visually-hidden')]//text()")).split()),
         "hint_lang": (link.xpath(".//*[contains(@class, 'visually-hidden')]/@lang") or [None])[0]}
        # in the top bar, before the page's content
        for link in document.xpath("//nav[contains(@class, 'jena-language-switch')][following::*[@id='content']]//a")
    ]
    return {"lang": document.get("lang"), "alternates": alternates, "switches": switches}


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("page", [
    "home", "search", "dataset", "resource", "organization", "group", "login", "dataset_form",
    "accessibility_statement", "accessibility_feedback",
])
def test_the_page_knows_its_language_and_links_to_itself_in_the_other(app, portal, page, language):
    path = portal["paths"][page]
    headers = portal["headers"] if page == "dataset_form" else {}
    response = app.get(PREFIX[language] + path, headers=headers)
    assert response.status_code == 200, response.body[:500]

    facts = language_facts(response.body)
    assert facts["lang"] == language

    same_page_in = {code: PREFIX[code] + path for code in ("de", "en")}
    assert facts["alternates"] == {
        "de": SITE_URL + same_page_in["de"],
        "en": SITE_URL + same_page_in["en"],
        "x-default": SITE_URL + same_page_in["de"],
    }

    other = OTHER[language]
    assert facts["switches"] == [{
        "href": same_page_in[other], "hreflang": other, "lang": other,
        "name": f"{SWITCH_NAME[other]} – {SWITCH_HINT[other]}",
        "hint": f"– {SWITCH_HINT[other]}", "hint_lang": language,
    }]


def test_the_switch_follows_the_link_to_the_same_page(app, portal):
    """Following the switch from a German search lands on the English search with the same query."""
    german = app.get(portal["paths"]["search"])
    switch = language_facts(german.body)["switches"][0]
    english = app.get(switch["href"])
    assert english.status_code == 200
    assert language_facts(english.body)["lang"] == "en"
    back = language_facts(english.body)["switches"][0]["href"]
    assert back == portal["paths"]["search"]


def test_a_missing_page_still_names_its_language(app, portal):
    for language in ("de", "en"):
        response = app.get(PREFIX[language] + "/dataset/gibt-es-nicht", status=404)
        facts = language_facts(response.body)
        assert facts["lang"] == language
        assert facts["switches"][0]["href"] == PREFIX[OTHER[language]] + "/dataset/gibt-es-nicht"


@pytest.mark.ckan_config("ckan.locales_offered", "de")
def test_a_portal_with_one_language_shows_no_switch(app, portal):
    facts = language_facts(app.get("/dataset/").body)
    assert facts["lang"] == "de"
    assert facts["switches"] == []
    assert facts["alternates"] == {"de": SITE_URL + "/dataset/", "x-default": SITE_URL + "/dataset/"}
