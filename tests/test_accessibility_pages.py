"""The accessibility statement and the "report a barrier" form (ThürBITVO §3), in both languages.

The form is tested with CKAN's CSRF protection on and sends through a real local SMTP server.
"""
import socket

import lxml.html
import pytest

from tests.smtp_sink import SmtpSink

PLUGINS = "jena scheming_datasets"
FORM = "/accessibility/feedback"
pytestmark = [
    pytest.mark.ckan_config("ckan.plugins", PLUGINS),
    pytest.mark.usefixtures("clean_db", "with_plugins"),
]

PREFIX = {"de": "", "en": "/en"}
TITLE = {"de": "Erklärung zur Barrierefreiheit", "en": "Accessibility statement"}
MISSING_DESCRIPTION = {"de": "Bitte beschreiben Sie die Barriere, auf die Sie gestoßen sind.",
                       "en": "Please describe the barrier you met."}
FORM_EXPIRED = {
    "de": "Das Formular ist abgelaufen oder wurde nicht von diesem Portal gesendet.",
    "en": "The form has expired or was not sent from this portal.",
}
INVALID_EMAIL = {
    "de": "Bitte geben Sie eine gültige E-Mail-Adresse wie name@example.org an oder lassen Sie das Feld leer.",
    "en": "Please enter a valid e-mail address, such as name@example.org, or leave the field empty.",
}


def page(body):
    return lxml.html.document_fromstring(body)


def text_of(document, xpath):
    return [" ".join(element.text_content().split()) for element in document.xpath(xpath)]


@pytest.fixture
def smtp(ckan_config, monkeypatch):
    with SmtpSink() as sink:
        monkeypatch.setitem(ckan_config, "smtp.server", sink.address)
        monkeypatch.setitem(ckan_config, "smtp.mail_from", "portal@jena.example")
        monkeypatch.setitem(ckan_config, "ckanext.jena.accessibility.feedback_email", "barrieren@jena.example")
        yield sink


@pytest.fixture
def browser(app):
    """One visitor: a client that keeps its session cookie between requests, as a browser does
    (CKAN 2.11's ``app`` starts every request without cookies)."""
    return app.test_client()


def form_token(browser, language):
    """The CSRF token of the form as the visitor's browser gets it, with the session cookie."""
    document = page(browser.get(PREFIX[language] + FORM).body)
    return document.xpath("//form[@method='post']//input[@name='_csrf_token']/@value")[0]


def send(browser, language, with_token=True, **fields):
    data = {"description": "", "page": "", "name": "", "email": "", "homepage": "", **fields}
    if with_token:
        data["_csrf_token"] = form_token(browser, language)
    return browser.post(PREFIX[language] + FORM, data=data, follow_redirects=False)


class TestStatement:
    @pytest.mark.parametrize("language", ["de", "en"])
    def test_the_statement_names_conformity_limitations_feedback_and_enforcement(self, app, language):
        document = page(app.get(PREFIX[language] + "/accessibility").body)
        assert text_of(document, "//h1") == [TITLE[language]]
        assert len(document.xpath("//main//h2 | //*[@role='main']//h2")) == 5
        assert document.xpath(f"//*[@role='main']//a[@href='{PREFIX[language]}{FORM}']")
        assert document.xpath("//a[@href='https://tlmb-thueringen.de/']")
        assert "BITV 2.0" in document.text_content()

    @pytest.mark.ckan_config("ckanext.jena.accessibility.contact_email", "barrierefrei@jena.example")
    @pytest.mark.ckan_config("ckanext.jena.accessibility.statement_date", "2027-03-31")
    @pytest.mark.ckan_config("ckanext.jena.accessibility.conformity", "full")
    def test_the_city_specific_facts_come_from_the_configuration(self, app):
        english = page(app.get("/en/accessibility").body)
        assert english.xpath("//a[@href='mailto:barrierefrei@jena.example']")
        assert "March 31, 2027" in english.text_content() or "31 March 2027" in english.text_content()
        assert "fully compliant" in english.text_content()
        assert "Content that is not accessible" not in english.text_content()

    @pytest.mark.parametrize("language", ["de", "en"])
    @pytest.mark.parametrize("path", ["/", "/dataset/", "/accessibility", "/user/login"])
    def test_every_page_footer_links_the_statement_and_the_form(self, app, language, path):
        document = page(app.get(PREFIX[language] + path).body)
        footer_links = document.xpath("//footer//a/@href")
        assert PREFIX[language] + "/accessibility" in footer_links
        assert any(link.startswith(PREFIX[language] + FORM + "?page=") for link in footer_links)


@pytest.mark.ckan_config("WTF_CSRF_ENABLED", True)
class TestFeedbackForm:
    @pytest.mark.parametrize("language", ["de", "en"])
    def test_a_valid_report_is_mailed_to_the_configured_address(self, browser, smtp, language):
        response = send(browser, language, description="Die Karte lässt sich nicht mit der Tastatur bedienen.",
                        page="https://opendata.jena.de/dataset/radwege", name="Erika Muster",
                        email="erika@example.org")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(PREFIX[language] + FORM + "/sent")
        assert len(smtp.messages) == 1
        sender, recipients, message = smtp.messages[0]
        assert recipients == ["barrieren@jena.example"]
        assert message["Reply-To"] == "erika@example.org"
        body = message.get_content()
        assert "Die Karte lässt sich nicht mit der Tastatur bedienen." in body
        assert "https://opendata.jena.de/dataset/radwege" in body
        assert f"Page language: {language}" in body

        thanks = browser.get(response.headers["Location"])
        assert thanks.status_code == 200

    @pytest.mark.parametrize("language", ["de", "en"])
    def test_a_report_without_a_token_is_rejected(self, browser, smtp, language):
        browser.get(PREFIX[language] + FORM)  # a session exists, only the token is missing
        response = send(browser, language, with_token=False, description="Kontrast zu gering.")
        assert response.status_code == 400
        assert FORM_EXPIRED[language] in " ".join(response.body.split())
        assert smtp.messages == []

    def test_a_report_with_a_wrong_token_is_rejected(self, browser, smtp):
        form_token(browser, "de")
        response = browser.post(FORM, data={"description": "Kontrast zu gering.", "_csrf_token": "forged"},
                            follow_redirects=False)
        assert response.status_code == 400
        assert smtp.messages == []

    @pytest.mark.parametrize("language", ["de", "en"])
    def test_invalid_input_is_explained_in_the_page_language(self, browser, smtp, language):
        response = send(browser, language, description="  ", email="kein-at-zeichen", name="Erika")
        assert response.status_code == 400
        document = page(response.body)
        assert text_of(document, "//*[contains(@class, 'jena-error-summary')]//li") == [
            MISSING_DESCRIPTION[language], INVALID_EMAIL[language]]
        assert document.xpath("//textarea[@id='field-description']/@aria-describedby") == ["description-error"]
        assert text_of(document, "//*[@id='email-error']") == [INVALID_EMAIL[language]]
        # what was typed is kept
        assert document.xpath("//input[@id='field-name']/@value") == ["Erika"]
        assert smtp.messages == []

    def test_an_overlong_description_is_refused(self, browser, smtp):
        response = send(browser, "en", description="x" * 5001)
        assert response.status_code == 400
        assert "at most 5000 characters" in response.body
        assert smtp.messages == []

    @pytest.mark.parametrize("language", ["de", "en"])
    def test_a_filled_honeypot_sends_nothing_but_looks_like_success(self, browser, smtp, language):
        response = send(browser, language, description="Cheap watches", homepage="http://spam.example")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(PREFIX[language] + FORM + "/sent")
        assert smtp.messages == []

    def test_the_honeypot_is_hidden_from_people(self, browser):
        document = page(browser.get(FORM).body)
        trap = document.xpath("//input[@name='homepage']")[0]
        assert trap.get("tabindex") == "-1"
        assert trap.getparent().get("aria-hidden") == "true"

    def test_a_mail_server_that_is_down_is_reported_and_the_input_kept(self, browser, ckan_config, monkeypatch):
        with socket.socket() as unused:
            unused.bind(("127.0.0.1", 0))
            port = unused.getsockname()[1]
        monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{port}")
        monkeypatch.setitem(ckan_config, "smtp.mail_from", "portal@jena.example")
        monkeypatch.setitem(ckan_config, "ckanext.jena.accessibility.feedback_email", "barrieren@jena.example")
        response = send(browser, "en", description="The search button has no label.")
        assert response.status_code == 503
        document = page(response.body)
        assert document.xpath("//*[@role='alert']")
        assert text_of(document, "//textarea[@id='field-description']") == ["The search button has no label."]

    def test_without_an_address_the_form_says_so_and_sends_nothing(self, browser, smtp, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.jena.accessibility.feedback_email", "")
        assert page(browser.get("/en" + FORM).body).xpath("//*[@role='status']")
        response = send(browser, "en", description="The map has no text alternative.")
        assert response.status_code == 503
        assert smtp.messages == []

    def test_without_a_feedback_address_reports_go_to_the_contact_address(self, browser, smtp, ckan_config, monkeypatch):
        monkeypatch.setitem(ckan_config, "ckanext.jena.accessibility.feedback_email", "")
        monkeypatch.setitem(ckan_config, "ckanext.jena.accessibility.contact_email", "barrierefrei@jena.example")
        assert send(browser, "de", description="Zu kleine Schrift.").status_code == 302
        assert [recipients for _sender, recipients, _message in smtp.messages] == [["barrierefrei@jena.example"]]


@pytest.mark.ckan_config("WTF_CSRF_ENABLED", False)
def test_an_operator_can_switch_the_token_check_off_as_everywhere_in_ckan(browser, smtp):
    assert send(browser, "de", with_token=False, description="Kontrast zu gering.").status_code == 302
    assert len(smtp.messages) == 1
