"""Harvest messages in German and English.

Harvest jobs run in queue consumers without a request, so the portal's language is unknown when a
message is made; operators of either language read the same job report. A message therefore keeps
its English text and its values and is rendered in both languages from the extension's catalogs.
"""
from __future__ import annotations

import functools
import gettext
from typing import Any

from ckanext.jena.translations import DOMAIN, catalog_directory

REPORT_LANGUAGES = ("de", "en")


def N_(message: str) -> str:
    """Mark a message for extraction by Babel; it is translated when a report is written."""
    return message


@functools.lru_cache(maxsize=None)
def _catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, str(catalog_directory()), [language], fallback=True)


class HarvestMessage:
    """A message id (English, marked with ``N_``) and the values for its ``{placeholders}``.

    Values may be messages themselves; they are rendered in the same language.
    """

    def __init__(self, message: str, **values: Any):
        self.message = message
        self.values = values

    def text(self, language: str = "en") -> str:
        values = {key: value.text(language) if isinstance(value, HarvestMessage) else value
                  for key, value in self.values.items()}
        return _catalog(language).gettext(self.message).format(**values)

    def bilingual(self) -> str:
        """German, then English on a line of its own when they differ."""
        texts = []
        for language in REPORT_LANGUAGES:
            text = self.text(language)
            if text not in texts:
                texts.append(text)
        return "\n".join(texts)

    def __str__(self) -> str:
        return self.bilingual()

    def __repr__(self) -> str:
        return f"HarvestMessage({self.message!r}, **{self.values!r})"


class HarvestError(Exception):
    """A failure with a message for the job report."""

    def __init__(self, message: str | HarvestMessage, **values: Any):
        self.message = message if isinstance(message, HarvestMessage) else HarvestMessage(message, **values)
        super().__init__(self.message.text("en"))

    def bilingual(self) -> str:
        return self.message.bilingual()


class SourceError(HarvestError):
    """The source as a whole could not be read: the job imports nothing and deletes nothing."""


class RecordError(HarvestError):
    """One record cannot be imported; the others go on."""
