"""Harvester for departmental spreadsheets: one dataset per row, German column headers.

Departments keep their dataset metadata in a sheet (CSV, XLSX or ODS) at a web address; the
portal reads it like any other source. The columns are defined in ``sheet_columns.yaml`` (German
headers, accepted aliases, help texts), which also builds the downloadable template and the
operator documentation, so that the three never disagree.

Layers, each usable on its own:

* ``read_sheet`` turns the bytes of a CSV, XLSX or ODS file into its non-empty rows of text cells,
  each with the row number a spreadsheet program shows. A row whose bytes cannot be decoded is
  kept with an error, so that one broken row fails alone.
* ``sheet_table`` finds the header (the first non-empty row) and resolves it against the column
  definitions; a header the harvester cannot fully understand fails the whole sheet, because a
  misspelt column would otherwise silently lose its values (e.g. the licence).
* ``row_to_dataset`` maps one row onto the Jena schema and names every problem by row number and
  column, in German and English.
"""
from __future__ import annotations

import codecs
import csv
import datetime
import difflib
import functools
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import unquote, urlparse

import yaml

import ckan.plugins as p
import ckan.plugins.toolkit as tk

from ckanext.harvest.interfaces import IHarvester

from ckanext.jena.harvesters.base import JenaHarvester, Record, SourceRun, canonical_json
from ckanext.jena.harvesters.messages import N_, HarvestMessage, RecordError, SourceError
from ckanext.jena.logic import vocabularies

COLUMNS_FILE = Path(__file__).resolve().parent / "sheet_columns.yaml"

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODS_MEDIA_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
CSV_MEDIA_TYPE = "text/csv"
ACCEPT = f"{XLSX_MEDIA_TYPE}, {ODS_MEDIA_TYPE}, text/csv;q=0.9, */*;q=0.1"

# Sheets read in preference to the first one, so that a workbook may keep notes or lookup lists
# before the data (compared without case).
PREFERRED_SHEETS = ("Datensätze", "Metadaten")
TEMPLATE_SHEET = "Datensätze"
NOTES_SHEET = "Hinweise"

# Limits that keep a hostile or broken file from exhausting the harvest process. The size of the
# unpacked ZIP entries is capped by ckanext.jena.harvest.max_document_size.
MAX_ZIP_ENTRIES = 1000
MAX_ROWS = 10_000
MAX_COLUMNS = 500
DEFAULT_MAX_UNPACKED = 50 * 2**20

# Columns whose header begins with this are the department's own and are ignored.
IGNORED_COLUMN_PREFIX = "#"

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls of Excel 97–2003
_DELIMITERS = (";", "\t", ",")  # in order of preference on a tie: German Excel writes ";"
_LIST_SEPARATORS = re.compile(r"[;\n]")
_KEYWORD = re.compile(r"[\w \-.]+")
_KEYWORD_LENGTH = (2, 100)
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$")
_YEAR = re.compile(r"^\d{4}$")


# -- messages made of several messages -----------------------------------------------------------

class MessageList(HarvestMessage):
    """Several messages shown as one, each rendered in the language of the whole."""

    def __init__(self, messages: Iterable[HarvestMessage]):
        self.messages = list(messages)
        super().__init__("")

    def text(self, language: str = "en") -> str:
        return " ".join(message.text(language) for message in self.messages)

    def __repr__(self) -> str:
        return f"MessageList({self.messages!r})"


# -- reading the file ------------------------------------------------------------------------------

@dataclass
class SheetRow:
    """One non-empty row: its number as a spreadsheet program shows it and its cells as text.

    ``error`` is set when the row could not be read (bytes invalid in the file's encoding); its
    cells then hold what could be decoded, with U+FFFD for the rest.
    """
    number: int
    values: list[str]
    error: HarvestMessage | None = None


def read_sheet(body: bytes, media_type: str, filename_or_url: str, charset: str | None,
               *, sheet_name: str | None = None,
               max_unpacked: int = DEFAULT_MAX_UNPACKED) -> list[SheetRow]:
    """The non-empty rows of a CSV, XLSX or ODS document (the kind is told by its bytes first)."""
    kind = detect_kind(body, media_type, filename_or_url, max_unpacked)
    if kind == "xlsx":
        return _read_xlsx(body, sheet_name)
    if kind == "ods":
        return _read_ods(body, sheet_name)
    return _read_csv(body, charset)


def detect_kind(body: bytes, media_type: str, filename_or_url: str,
                max_unpacked: int = DEFAULT_MAX_UNPACKED) -> str:
    """"csv", "xlsx" or "ods". ZIP files are checked against bombs before anything is unpacked."""
    media_type = (media_type or "").lower()
    extension = _extension(filename_or_url)
    if body.startswith(_ZIP_MAGIC):
        archive = open_zip(body, max_unpacked)
        names = set(archive.namelist())
        if "mimetype" in names and archive.read("mimetype").strip() == ODS_MEDIA_TYPE.encode():
            return "ods"
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise SourceError(N_("The file is a ZIP archive but neither an XLSX nor an ODS spreadsheet."))
    if body.startswith(_OLE2_MAGIC):
        raise SourceError(N_("The file is an old Excel workbook (.xls), which cannot be read. "
                             "Please save it as XLSX, ODS or CSV."))
    if media_type in (XLSX_MEDIA_TYPE, ODS_MEDIA_TYPE) or extension in ("xlsx", "ods"):
        raise SourceError(N_("The file is announced as {kind} but is not one (it is no ZIP "
                             "archive); it may be damaged or an error page."),
                          kind=(extension or "XLSX/ODS").upper())
    if media_type in ("text/html", "application/xhtml+xml") or body.lstrip()[:1] == b"<":
        raise SourceError(N_("The address returns a web page, not a spreadsheet. Please give the "
                             "address of the CSV, XLSX or ODS file itself."))
    return "csv"


def open_zip(body: bytes, max_unpacked: int = DEFAULT_MAX_UNPACKED) -> zipfile.ZipFile:
    """A ZIP archive whose entries are few, unencrypted and small enough unpacked.

    The sizes in the archive's directory are binding: Python's zipfile never returns more bytes
    of an entry than its directory announces, so their sum caps what unpacking can produce.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        raise SourceError(N_("The spreadsheet is damaged (its ZIP structure cannot be read: "
                             "{problem})."), problem=str(error))
    if len(entries) > MAX_ZIP_ENTRIES:
        raise SourceError(N_("The spreadsheet consists of {count} parts, more than the {limit} "
                             "allowed; it was not unpacked."), count=len(entries),
                          limit=MAX_ZIP_ENTRIES)
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise SourceError(N_("The spreadsheet is encrypted or password-protected; please publish "
                             "it without a password."))
    odd = sorted({entry.compress_type for entry in entries}
                 - {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
    if odd:
        raise SourceError(N_("The spreadsheet uses an unusual ZIP compression (method {method}); "
                             "please save it again with a common office program."),
                          method=", ".join(str(method) for method in odd))
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > max_unpacked:
        raise SourceError(N_("The spreadsheet would unpack to {size} MiB, more than the {limit} "
                             "MiB allowed; it was not unpacked."),
                          size=round(unpacked / 2**20, 1), limit=round(max_unpacked / 2**20, 1))
    return archive


def _extension(filename_or_url: str) -> str:
    path = urlparse(filename_or_url or "").path or (filename_or_url or "")
    name = unquote(path).rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def cell_text(value: Any) -> str:
    """A cell's value as the text the column definitions read: dates in ISO 8601, whole
    numbers without a decimal point, truth values as ja/nein."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _row(number: int, values: list[Any]) -> SheetRow | None:
    """The row with its trailing empty cells removed, or None when it is empty."""
    texts = [cell_text(value) for value in values]
    while texts and not texts[-1]:
        texts.pop()
    return SheetRow(number, texts) if texts else None


def _check_row_count(rows: list[SheetRow]) -> None:
    if len(rows) > MAX_ROWS:
        raise SourceError(N_("The sheet has more than {limit} rows; please split it."),
                          limit=MAX_ROWS)


def _choose_sheet(names: list[str], wanted: str | None) -> str:
    """The configured sheet, else one named like ``PREFERRED_SHEETS``, else the first one."""
    by_key = {name.strip().casefold(): name for name in names}
    if wanted:
        if wanted.strip().casefold() in by_key:
            return by_key[wanted.strip().casefold()]
        raise SourceError(N_('The spreadsheet has no sheet "{sheet}"; its sheets are: {sheets}.'),
                          sheet=wanted, sheets=", ".join(names))
    for preferred in PREFERRED_SHEETS:
        if preferred.casefold() in by_key:
            return by_key[preferred.casefold()]
    if not names:
        raise SourceError(N_("The spreadsheet contains no sheet."))
    return names[0]


# XLSX -------------------------------------------------------------------------------------------

def _read_xlsx(body: bytes, sheet_name: str | None) -> list[SheetRow]:
    # openpyxl reads the XML with the standard library's expat (2.4 and newer refuse entity
    # expansion attacks and never load external entities); the ZIP was checked before.
    import openpyxl
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for damaged files
        raise SourceError(N_("The XLSX file cannot be read: {problem}"),
                          problem=f"{type(error).__name__}: {error}")
    try:
        worksheet = workbook[_choose_sheet(workbook.sheetnames, sheet_name)]
        rows: list[SheetRow] = []
        try:
            for number, values in enumerate(
                    worksheet.iter_rows(min_row=1, max_col=MAX_COLUMNS + 1, values_only=True),
                    start=1):
                if len(values) > MAX_COLUMNS and values[MAX_COLUMNS] not in (None, ""):
                    raise SourceError(N_("The sheet has more than {limit} columns."),
                                      limit=MAX_COLUMNS)
                row = _row(number, list(values[:MAX_COLUMNS]))
                if row:
                    rows.append(row)
                    _check_row_count(rows)
        except SourceError:
            raise
        except Exception as error:
            raise SourceError(N_("The XLSX file cannot be read: {problem}"),
                              problem=f"{type(error).__name__}: {error}")
        return rows
    finally:
        workbook.close()


# ODS --------------------------------------------------------------------------------------------
#
# Read by hand from content.xml with the portal's hardened XML parser instead of odfpy: odfpy's
# last release is from 2020, it builds a DOM of the whole document (styles, settings, pictures)
# with its own SAX handling, and the few elements a table needs (rows, cells, repeats, text
# paragraphs) are a small, well-specified part of OpenDocument 1.2/1.3, section 9.

_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _read_ods(body: bytes, sheet_name: str | None) -> list[SheetRow]:
    from ckanext.jena.harvesters.parsing import parse_xml
    archive = open_zip(body)
    try:
        content = archive.read("content.xml")
    except KeyError:
        raise SourceError(N_("The ODS file has no content (content.xml is missing)."))
    root = parse_xml(content)
    tables = root.findall(f"{_q(_OFFICE, 'body')}/{_q(_OFFICE, 'spreadsheet')}/{_q(_TABLE, 'table')}")
    names = [table.get(_q(_TABLE, "name"), "") for table in tables]
    chosen = _choose_sheet(names, sheet_name)
    table = tables[names.index(chosen)]
    rows: list[SheetRow] = []
    number = 0
    for row_element in table.iter(_q(_TABLE, "table-row")):
        repeat = _repeat(row_element, "number-rows-repeated")
        values = _ods_cells(row_element)
        if not values:
            number += repeat
            continue
        for _ in range(repeat):
            number += 1
            rows.append(SheetRow(number, list(values)))
            _check_row_count(rows)
    return rows


def _repeat(element, attribute: str) -> int:
    try:
        return max(1, int(element.get(_q(_TABLE, attribute), "1")))
    except ValueError:
        return 1


def _ods_cells(row_element) -> list[str]:
    values: list[str] = []
    pending_empty = 0
    for cell in row_element:
        if cell.tag not in (_q(_TABLE, "table-cell"), _q(_TABLE, "covered-table-cell")):
            continue
        repeat = _repeat(cell, "number-columns-repeated")
        value = _ods_value(cell)
        if not value:
            pending_empty += repeat
            continue
        if len(values) + pending_empty + repeat > MAX_COLUMNS:
            raise SourceError(N_("The sheet has more than {limit} columns."), limit=MAX_COLUMNS)
        values.extend([""] * pending_empty)
        pending_empty = 0
        values.extend([value] * repeat)
    return values


def _ods_value(cell) -> str:
    value_type = cell.get(_q(_OFFICE, "value-type"))
    if value_type == "date":
        stamp = cell.get(_q(_OFFICE, "date-value"), "")
        return stamp[:10] if stamp.endswith("T00:00:00") or len(stamp) == 10 else stamp
    if value_type in ("float", "percentage", "currency"):
        try:
            return cell_text(float(cell.get(_q(_OFFICE, "value"), "")))
        except ValueError:
            pass
    if value_type == "boolean":
        return cell_text(cell.get(_q(_OFFICE, "boolean-value")) == "true")
    paragraphs = [_ods_text(paragraph) for paragraph in cell
                  if paragraph.tag in (_q(_TEXT, "p"), _q(_TEXT, "h"))]
    return cell_text("\n".join(paragraphs))


def _ods_text(element) -> str:
    """The text of a paragraph with its spaces, tabs and line breaks (text:s, text:tab, …)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == _q(_TEXT, "s"):
            try:
                parts.append(" " * max(1, int(child.get(_q(_TEXT, "c"), "1"))))
            except ValueError:
                parts.append(" ")
        elif child.tag == _q(_TEXT, "tab"):
            parts.append("\t")
        elif child.tag == _q(_TEXT, "line-break"):
            parts.append("\n")
        elif child.tag != _q(_OFFICE, "annotation"):
            parts.append(_ods_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


# CSV --------------------------------------------------------------------------------------------

def _read_csv(body: bytes, charset: str | None) -> list[SheetRow]:
    lines, broken, encoding = _decode_lines(body, charset)
    text = "\n".join(lines)
    delimiter = _sniff_delimiter(lines)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False, strict=False)
    rows: list[SheetRow] = []
    number = 0
    first_line = 1
    try:
        for values in reader:
            number += 1
            last_line = reader.line_num
            row = _row(number, values)
            if row is None:
                first_line = last_line + 1
                continue
            if len(row.values) > MAX_COLUMNS:
                raise SourceError(N_("The sheet has more than {limit} columns."),
                                  limit=MAX_COLUMNS)
            if any(line in broken for line in range(first_line, last_line + 1)):
                row.error = HarvestMessage(
                    N_("Row {row} contains characters that are not valid {encoding}; please "
                       "save the file as CSV UTF-8."), row=number, encoding=encoding)
            rows.append(row)
            _check_row_count(rows)
            first_line = last_line + 1
    except csv.Error as error:
        raise SourceError(N_("The CSV file cannot be read near line {line}: {problem}"),
                          line=reader.line_num, problem=str(error))
    return rows


def _decode_lines(body: bytes, charset: str | None) -> tuple[list[str], set[int], str]:
    """The file's lines as text, the numbers (from 1) of lines with invalid bytes, the encoding.

    A byte-order mark decides first, then the charset the server declares, then the bytes: a
    file that is UTF-8 except for some lines is UTF-8 with broken lines; one without any UTF-8
    sequence is Windows-1252 (what German Excel writes as "CSV"). Lines are decoded one by one,
    so that invalid bytes fail only the rows they are in.
    """
    if body.startswith(codecs.BOM_UTF8):
        return _decode_each(body[len(codecs.BOM_UTF8):], "utf-8")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return body.decode("utf-16").split("\n"), set(), "UTF-16"
        except UnicodeDecodeError as error:
            raise SourceError(N_("The CSV file is not valid UTF-16: {problem}"), problem=str(error))
    encoding = _declared_encoding(charset)
    if encoding is None:
        try:
            body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "utf-8" if _has_utf8_sequences(body) else "cp1252"
    return _decode_each(body, encoding)


def _declared_encoding(charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        name = codecs.lookup(charset.strip().strip('"')).name
    except LookupError:
        return None
    if name in ("ascii", "latin-1", "iso8859-1"):
        return "cp1252"  # as browsers do: servers label Windows-1252 text so
    if name.startswith("utf-16") or name.startswith("utf-32"):
        return None  # without a byte-order mark the bytes tell better than the label
    return name


def _has_utf8_sequences(body: bytes) -> bool:
    for line in body.split(b"\n"):
        if max(line, default=0) < 0x80:
            continue
        try:
            line.decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False


def _decode_each(body: bytes, encoding: str) -> tuple[list[str], set[int], str]:
    lines: list[str] = []
    broken: set[int] = set()
    for number, raw in enumerate(body.split(b"\n"), start=1):
        try:
            lines.append(raw.decode(encoding))
        except UnicodeDecodeError:
            lines.append(raw.decode(encoding, errors="replace"))
            broken.add(number)
    label = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}.get(encoding, encoding)
    return lines, broken, label


def _sniff_delimiter(lines: list[str]) -> str:
    """The separator that occurs most often, outside quotes, in the first non-empty line."""
    header = next((line for line in lines if line.strip()), "")
    counts = {delimiter: 0 for delimiter in _DELIMITERS}
    quoted = False
    for character in header:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in counts:
            counts[character] += 1
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


# -- the columns -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of the sheet as ``sheet_columns.yaml`` defines it."""
    header: str
    kind: str
    field: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    vocabulary: str | None = None
    synonyms: tuple[tuple[str, str], ...] = ()
    max_length: int | None = None
    multiline: bool = False
    period_end: bool = False
    in_template: bool = True
    example: str = ""
    help: tuple[tuple[str, str], ...] = ()
    resource_number: int | None = None

    def help_in(self, language: str) -> str:
        return dict(self.help).get(language, "")

    def numbered(self, number: int) -> "Column":
        """The column of resource ``number`` (for the templates ``Ressource {n} …``)."""
        return Column(**{**self.__dict__, "header": self.header.replace("{n}", str(number)),
                         "aliases": tuple(alias.replace("{n}", str(number))
                                          for alias in self.aliases),
                         "resource_number": number})


def header_key(header: str) -> str:
    """What two headers must share to mean the same column."""
    text = header.casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    return re.sub(r"[^0-9a-z{}]", "", text)


def _column_from(entry: dict[str, Any]) -> Column:
    return Column(
        header=entry["header"], kind=entry["kind"], field=entry["field"],
        aliases=tuple(entry.get("aliases", ())), required=bool(entry.get("required")),
        vocabulary=entry.get("vocabulary"),
        synonyms=tuple((str(key), str(value)) for key, value in entry.get("synonyms", {}).items()),
        max_length=entry.get("max_length"), multiline=bool(entry.get("multiline")),
        period_end=bool(entry.get("period_end")), in_template=entry.get("template", True),
        example=str(entry.get("example", "")),
        help=tuple(sorted(entry.get("help", {}).items())))


@dataclass(frozen=True)
class ColumnDefinitions:
    columns: tuple[Column, ...]
    resource_columns: tuple[Column, ...]

    @functools.cached_property
    def _by_key(self) -> dict[str, Column]:
        index: dict[str, Column] = {}
        for column in self.columns:
            for name in (column.header, *column.aliases):
                key = header_key(name)
                if key in index and index[key] is not column:
                    raise ValueError(f"{name!r} names two columns")
                index[key] = column
        return index

    @functools.cached_property
    def _resource_patterns(self) -> list[tuple[re.Pattern[str], Column]]:
        patterns = []
        for column in self.resource_columns:
            for name in (column.header, *column.aliases):
                before, after = header_key(name).split("{n}")
                patterns.append((re.compile(re.escape(before) + r"0*([1-9]\d{0,2})"
                                            + re.escape(after)), column))
        return patterns

    def find(self, header: str) -> Column | None:
        key = header_key(header)
        if key in self._by_key:
            return self._by_key[key]
        for pattern, column in self._resource_patterns:
            match = pattern.fullmatch(key)
            if match:
                return column.numbered(int(match.group(1)))
        return None

    def named(self, header: str) -> Column:
        column = self.find(header)
        if column is None:
            raise KeyError(header)
        return column

    def suggestion(self, header: str) -> str | None:
        """The known header closest to a misspelt one."""
        names = {header_key(column.header): column.header for column in self.columns}
        close = difflib.get_close_matches(header_key(header), names, n=1, cutoff=0.75)
        return names[close[0]] if close else None

    def template_columns(self) -> list[Column]:
        """The template's columns: every single column and those of one resource."""
        return ([column for column in self.columns if column.in_template]
                + [column.numbered(1) for column in self.resource_columns])


@functools.lru_cache(maxsize=None)
def column_definitions() -> ColumnDefinitions:
    with COLUMNS_FILE.open(encoding="utf-8") as stream:
        document = yaml.safe_load(stream)
    return ColumnDefinitions(tuple(_column_from(entry) for entry in document["columns"]),
                             tuple(_column_from(entry) for entry in document["resource_columns"]))


# -- the header ------------------------------------------------------------------------------------

@dataclass
class SheetTable:
    """The rows under the header, with each position's header as written and its column."""
    header_row: int
    headers: list[str]
    columns: dict[int, Column]
    rows: list[SheetRow] = field(default_factory=list)

    def cells(self, row: SheetRow) -> dict[str, str]:
        """The row's cells by their header as written in the sheet (known columns only)."""
        return {self.headers[position]: (row.values[position] if position < len(row.values) else "")
                for position in self.columns}

    def has(self, column_header: str) -> bool:
        return any(column.header == column_header for column in self.columns.values())


def column_letter(position: int) -> str:
    """A, B, …, Z, AA, … for positions from 0."""
    letters = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def sheet_table(rows: list[SheetRow]) -> SheetTable:
    """The header (first non-empty row) resolved; raises SourceError naming every problem."""
    if not rows:
        raise SourceError(N_("The sheet is empty: it needs a header row with the column names "
                             "and one row per dataset."))
    header, data = rows[0], rows[1:]
    if header.error:
        raise SourceError(N_("The header row cannot be read: {problem}"), problem=header.error)
    definitions = column_definitions()
    problems: list[HarvestMessage] = []
    columns: dict[int, Column] = {}
    seen: dict[tuple[str, int | None], str] = {}
    widest = max(len(row.values) for row in rows)
    headers = header.values + [""] * (widest - len(header.values))
    for position, text in enumerate(headers):
        if text.startswith(IGNORED_COLUMN_PREFIX):
            continue
        if not text:
            if any(position < len(row.values) and row.values[position] for row in data):
                problems.append(HarvestMessage(
                    N_("Column {letter} has values but no header."), letter=column_letter(position)))
            continue
        column = definitions.find(text)
        if column is None:
            suggestion = definitions.suggestion(text)
            problems.append(HarvestMessage(
                N_('The column "{column}" is unknown. Did you mean "{suggestion}"?')
                if suggestion else N_('The column "{column}" is unknown.'),
                column=text, suggestion=suggestion))
            continue
        identity = (column.header, column.resource_number)
        if identity in seen:
            problems.append(HarvestMessage(
                N_('The columns "{first}" and "{second}" are the same column; keep one.'),
                first=seen[identity], second=text))
            continue
        seen[identity] = text
        columns[position] = column
    present = {column.header for column in columns.values()}
    missing = [column.header for column in definitions.columns
               if column.required and column.header not in present]
    if missing:
        problems.append(HarvestMessage(N_("Required columns are missing: {columns}."),
                                       columns=", ".join(missing)))
    email, url = definitions.named("Kontakt E-Mail"), definitions.named("Kontakt Webseite")
    if email.header not in present and url.header not in present:
        problems.append(HarvestMessage(N_('The sheet needs the column "{first}" or "{second}".'),
                                       first=email.header, second=url.header))
    if problems:
        problems.append(HarvestMessage(N_(
            "Columns whose header begins with # are ignored. The template of the portal lists "
            "every column.")))
        raise SourceError(MessageList([HarvestMessage(
            N_("The header (row {row}) of the sheet is not understood:"), row=header.number),
            *problems]))
    return SheetTable(header.number, headers, columns, data)


# -- one row → one dataset -------------------------------------------------------------------------

class RowProblems:
    """Problems of one row, each naming the column as the sheet writes it."""

    def __init__(self, row: int | None):
        self.row = row
        self.messages: list[HarvestMessage] = []

    def add(self, column: str, problem: HarvestMessage) -> None:
        if self.row is None:
            self.messages.append(HarvestMessage(N_('Column "{column}": {problem}'),
                                                column=column, problem=problem))
        else:
            self.messages.append(HarvestMessage(N_('Row {row}, column "{column}": {problem}'),
                                                row=self.row, column=column, problem=problem))

    def raise_if_any(self) -> None:
        if self.messages:
            raise RecordError(self.messages[0] if len(self.messages) == 1
                              else MessageList(self.messages))


class Categories:
    """The portal's categories (CKAN groups) by name, title and English title."""

    def __init__(self, groups: Iterable[dict[str, Any]] = ()):
        self._names: dict[str, str] = {}
        for group in groups:
            titles = [group.get("name"), group.get("title")]
            titles += [extra.get("value") for extra in group.get("extras") or []
                       if extra.get("key") == "title_en"]
            for title in titles:
                if title:
                    self._names.setdefault(_term_key(title), group["name"])

    @classmethod
    def from_portal(cls) -> "Categories":
        groups: list[dict[str, Any]] = []
        page = 25  # the most group_list gives with all fields
        while True:
            batch = tk.get_action("group_list")(
                {"ignore_auth": True},
                {"all_fields": True, "include_extras": True, "limit": page, "offset": len(groups)})
            groups.extend(batch)
            if len(batch) < page:
                return cls(groups)

    def find(self, value: str) -> str | None:
        return self._names.get(_term_key(value))


def _term_key(value: str) -> str:
    return " ".join(str(value).casefold().split())


@functools.lru_cache(maxsize=None)
def _label_index(vocabulary_name: str) -> dict[str, vocabularies.Term]:
    index: dict[str, vocabularies.Term] = {}
    for term in vocabularies.get(vocabulary_name).terms:
        for label in term.label.values():
            index.setdefault(_term_key(label), term)
    return index


def vocabulary_term(column: Column, value: str) -> vocabularies.Term | None:
    """The term a cell names: code, URI, alias, German or English label, or a synonym."""
    vocabulary = vocabularies.get(column.vocabulary)
    synonym = dict(column.synonyms).get(_term_key(value))
    return (vocabulary.find(value) or _label_index(column.vocabulary).get(_term_key(value))
            or (vocabulary.find(synonym) if synonym else None))


@functools.lru_cache(maxsize=None)
def _licences() -> dict[str, str]:
    index: dict[str, str] = {}
    for entry in vocabularies.read_license_list():
        for key in (entry["id"], entry.get("url"), entry.get("title"), entry.get("title_en")):
            if key:
                index.setdefault(_term_key(key), entry["id"])
    return index


def _format_term(value: str) -> vocabularies.Term | None:
    vocabulary = vocabularies.get("file-types")
    candidate = value.strip().lstrip(".")
    return (vocabulary.find(candidate) or vocabulary.find(candidate.rsplit("/", 1)[-1])
            or _label_index("file-types").get(_term_key(candidate)))


def split_list(text: str, is_known=None) -> list[str]:
    """Items separated by semicolons, line breaks or commas.

    With ``is_known``, comma-separated parts are joined again where together they name a known
    item, so that labels with commas ("Bildung, Kultur und Sport") survive.
    """
    items: list[str] = []
    for chunk in _LIST_SEPARATORS.split(text):
        parts = chunk.split(",")
        start = 0
        while start < len(parts):
            end = len(parts) if is_known else start + 1
            while is_known and end > start + 1 and not is_known(",".join(parts[start:end]).strip()):
                end -= 1
            item = ",".join(parts[start:end]).strip()
            if item:
                items.append(item)
            start = end
    return items


def parse_date(text: str, period_end: bool = False) -> str | None:
    """ISO 8601 from DD.MM.YYYY, YYYY-MM-DD, a date and time, or a year alone (1 January,
    or 31 December at the end of a period); None when the text is no date."""
    text = text.strip()
    try:
        match = _GERMAN_DATE.match(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day).isoformat()
        match = _ISO_DATE.match(text)
        if match:
            return datetime.date(*(int(part) for part in match.groups())).isoformat()
        if _ISO_DATETIME.match(text):
            return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
        if _YEAR.match(text):
            return datetime.date(int(text), 12, 31).isoformat() if period_end else f"{text}-01-01"
    except ValueError:
        return None
    return None


def _is_uri(text: str) -> bool:
    parsed = urlparse(text)
    return (parsed.scheme in ("http", "https") and bool(parsed.netloc)
            and not re.search(r"\s", text))


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b`` in a dataset: ``a`` is a bilingual dict, or a one-item list of objects for
    the repeating fields (contact, publisher, temporal_coverage)."""
    name, _, key = path.partition(".")
    if not key:
        target[name] = value
    elif name in ("contact", "publisher", "temporal_coverage"):
        target.setdefault(name, [{}])[0][key] = value
    else:
        target.setdefault(name, {})[key] = value


def _file_name(url: str) -> str:
    path = unquote(urlparse(url).path).rstrip("/")
    return path.rsplit("/", 1)[-1] or urlparse(url).netloc or url


def row_to_dataset(cells: dict[str, str], row: int | None = None,
                   categories: Categories | None = None) -> dict[str, Any]:
    """A Jena dataset dict (without name, id and owner_org) from one row's cells.

    ``cells`` are keyed by the headers as the sheet writes them. Raises RecordError naming
    every problem of the row by row number (when known) and column.
    """
    definitions = column_definitions()
    problems = RowProblems(row)
    dataset: dict[str, Any] = {}
    resources: dict[int, dict[str, Any]] = {}
    shown: dict[str, str] = {}  # column's own header → header as written
    urls: list[str] = []
    formats: list[str] = []
    themes: list[str] = []
    groups: list[str] = []
    has_categories = False

    for written, raw in cells.items():
        column = definitions.named(written)
        shown[column.header] = written
        value = (raw or "").strip()
        if column.kind == "categories":
            has_categories = True
        if not value:
            continue

        def problem(message: str, **values: Any) -> None:
            problems.add(written, HarvestMessage(message, **values))

        target: dict[str, Any] = dataset
        if column.resource_number is not None:
            target = resources.setdefault(column.resource_number, {})
        if column.kind in ("identifier", "text"):
            if not column.multiline:
                value = " ".join(value.split())
            if column.max_length and len(value) > column.max_length:
                problem(N_("The text is too long: {length} characters, at most {max} are "
                           "allowed."), length=len(value), max=column.max_length)
                continue
            _put(target, column.field, value)
        elif column.kind == "keywords":
            keywords: list[str] = []
            for keyword in split_list(value.replace(",", ";")):
                if not _KEYWORD.fullmatch(keyword):
                    problem(N_('The keyword "{keyword}" may only contain letters, digits, spaces '
                               'and the characters - _ .'), keyword=keyword)
                elif not _KEYWORD_LENGTH[0] <= len(keyword) <= _KEYWORD_LENGTH[1]:
                    problem(N_('The keyword "{keyword}" must be {min} to {max} characters long.'),
                            keyword=keyword, min=_KEYWORD_LENGTH[0], max=_KEYWORD_LENGTH[1])
                elif keyword not in keywords:
                    keywords.append(keyword)
            _put(target, column.field, keywords)
        elif column.kind == "email":
            address = value[len("mailto:"):] if value.lower().startswith("mailto:") else value
            if _EMAIL.match(address):
                _put(target, column.field, address)
            else:
                problem(N_('"{value}" is not an e-mail address.'), value=value)
        elif column.kind == "uri":
            if _is_uri(value):
                _put(target, column.field, value)
            else:
                problem(N_('"{value}" is not a complete web address beginning with http:// or '
                           'https://.'), value=value)
        elif column.kind == "date":
            date = parse_date(value, column.period_end)
            if date:
                _put(target, column.field, date)
            else:
                problem(N_('"{value}" is not a date: please write DD.MM.YYYY or YYYY-MM-DD, or '
                           'use a date cell.'), value=value)
        elif column.kind in ("choice", "choices"):
            items = (split_list(value, lambda item, c=column: vocabulary_term(c, item) is not None)
                     if column.kind == "choices" else [value])
            chosen: list[str] = []
            for item in items:
                term = vocabulary_term(column, item)
                if term is None:
                    problem(N_('"{value}" is not an allowed value. Allowed are: {allowed}.'),
                            value=item, allowed="; ".join(
                                term.label_in("de") for term in vocabularies.get(column.vocabulary).terms))
                elif term.value not in chosen:
                    chosen.append(term.value)
            if chosen:
                _put(target, column.field, chosen if column.kind == "choices" else chosen[0])
        elif column.kind == "licence":
            licence = _licences().get(_term_key(value))
            if licence:
                _put(target, column.field, licence)
            else:
                problem(N_('Unknown licence "{value}": use an id such as dl-by-de/2.0 or a title '
                           'from the licence list.'), value=value)
        elif column.kind == "categories":
            themes_vocabulary = "data-themes"

            def theme_of(item: str):
                return (vocabularies.get(themes_vocabulary).find(item)
                        or _label_index(themes_vocabulary).get(_term_key(item)))

            def known(item: str) -> bool:
                return bool((categories and categories.find(item)) or theme_of(item))

            for item in split_list(value, known):
                group = categories.find(item) if categories else None
                theme = theme_of(item)
                if group:
                    if group not in groups:
                        groups.append(group)
                elif theme:
                    if theme.value not in themes:
                        themes.append(theme.value)
                else:
                    problem(N_('Unknown category "{value}": use a category of the portal or an '
                               'EU data theme.'), value=item)
        elif column.kind == "format":
            term = _format_term(value)
            if term:
                target["format"] = term.value
            else:
                problem(N_('Unknown format "{value}": use a format of the EU file-type list, '
                           'such as CSV, XLSX, JSON or PDF.'), value=value)
        elif column.kind == "resource_urls":
            for url in value.split():
                if _is_uri(url):
                    urls.append(url)
                else:
                    problem(N_('"{value}" is not a complete web address beginning with http:// '
                               'or https://.'), value=url)
        elif column.kind == "resource_formats":
            for item in split_list(value.replace(",", ";")):
                term = _format_term(item)
                if term:
                    formats.append(term.value)
                else:
                    problem(N_('Unknown format "{value}": use a format of the EU file-type list, '
                               'such as CSV, XLSX, JSON or PDF.'), value=item)
        else:  # a definition the code does not know: a mistake in sheet_columns.yaml
            raise ValueError(f"Unknown column kind {column.kind!r}")

    def written(header: str) -> str:
        return shown.get(header, header)

    for column in definitions.columns:
        if column.required and not _has(dataset, column.field):
            problems.add(written(column.header), HarvestMessage(N_("This column must be filled in.")))
    contact = (dataset.get("contact") or [{}])[0]
    if contact and not contact.get("email") and not contact.get("url"):
        problems.add(written("Kontakt E-Mail"), HarvestMessage(
            N_('Please fill in "{first}" or "{second}".'),
            first=written("Kontakt E-Mail"), second=written("Kontakt Webseite")))
    period = (dataset.get("temporal_coverage") or [{}])[0]
    if period.get("start") and period.get("end") and period["end"][:10] < period["start"][:10]:
        problems.add(written("Zeitraum bis"), HarvestMessage(N_("The end is before the start.")))

    resource_list: list[dict[str, Any]] = []
    if urls:
        if formats and len(formats) not in (1, len(urls)):
            problems.add(written("Format"), HarvestMessage(
                N_("{formats} formats for {urls} addresses: give one format for all or one per "
                   "address."), formats=len(formats), urls=len(urls)))
        for index, url in enumerate(urls):
            resource = {"url": url, "name_translated": {"de": _file_name(url)}}
            if len(formats) == 1:
                resource["format"] = formats[0]
            elif len(formats) == len(urls):
                resource["format"] = formats[index]
            resource_list.append(resource)
    elif formats:
        problems.add(written("Download-URL"), HarvestMessage(N_("This column must be filled in.")))
    for number in sorted(resources):
        resource = resources[number]
        if not resource.get("url"):
            url_column = definitions.find(f"Ressource {number} URL")
            problems.add(written(url_column.header), HarvestMessage(
                N_("This column must be filled in.")))
            continue
        names = resource.setdefault("name_translated", {})
        names.setdefault("de", _file_name(resource["url"]))
        resource_list.append(resource)
    problems.raise_if_any()

    if resource_list:
        dataset["resources"] = resource_list
    if has_categories:
        dataset["groups"] = [{"name": name} for name in groups]
    if themes:
        dataset["theme"] = themes
    return dataset


def _has(dataset: dict[str, Any], path: str) -> bool:
    name, _, key = path.partition(".")
    value = dataset.get(name)
    if isinstance(value, list) and value and isinstance(value[0], dict):
        value = value[0]
    if key and isinstance(value, dict):
        value = value.get(key)
    return value not in (None, "", [], {})


# -- rows → harvest records ------------------------------------------------------------------------

def sheet_records(table: SheetTable, categories: Categories | None = None,
                  original_url: str | None = None) -> Iterator[Record]:
    """One harvest record per row; rows that cannot be mapped become records with an error.

    The record's content holds the row's cells but not its number, so that sorting the sheet or
    inserting a row changes no dataset; rows are checked here, where their numbers are known.
    """
    identifier_column = column_definitions().named("Kennung")
    first_row: dict[str, int] = {}
    for row in table.rows:
        cells = table.cells(row)
        written_identifier = next((header for header in cells
                                   if column_definitions().named(header) is identifier_column), "")
        identifier = " ".join(cells.get(written_identifier, "").split()) or None
        if identifier and "\ufffd" in identifier:
            identifier = None
        content = canonical_json({"cells": cells})
        error: HarvestMessage | None = row.error
        if error is None and identifier in first_row:
            error = HarvestMessage(
                N_('Row {row}, column "{column}": the identifier "{identifier}" is already used '
                   'in row {first}; this row was skipped.'),
                row=row.number, column=written_identifier, identifier=identifier,
                first=first_row[identifier])
        if error is None:
            try:
                row_to_dataset(cells, row.number, categories)
            except RecordError as problem:
                error = problem.message
        if identifier and identifier not in first_row:
            first_row[identifier] = row.number
        yield Record(guid=identifier, content=content, original_url=original_url, error=error)


# -- the template ----------------------------------------------------------------------------------

def example_cells() -> dict[str, str]:
    """The template's columns with the example values of their definitions."""
    return {column.header: column.example for column in column_definitions().template_columns()}


def _allowed_values(column: Column) -> str:
    if column.vocabulary:
        return "; ".join(term.label_in("de") for term in vocabularies.get(column.vocabulary).terms)
    if column.kind == "licence":
        return "; ".join(entry["id"] for entry in vocabularies.read_license_list())
    if column.kind == "categories":
        return "; ".join(f"{term.code} ({term.label_in('de')})"
                         for term in vocabularies.get("data-themes").terms)
    return ""


def notes_rows() -> list[list[str]]:
    """The sheet "Hinweise": one row per column of the template."""
    rows = [["Spalte", "Pflicht", "Bedeutung", "Erlaubte Werte", "Beispiel",
             "Column", "Meaning (English)"]]
    for column in column_definitions().template_columns():
        required = "ja" if column.required else ""
        if column.header in ("Kontakt E-Mail", "Kontakt Webseite"):
            required = "eine von beiden"
        rows.append([column.header, required, column.help_in("de"), _allowed_values(column),
                     column.example, ", ".join(column.aliases), column.help_in("en")])
    return rows


def template_xlsx(example: bool = False) -> bytes:
    """The template workbook: sheet "Datensätze" with the header row (and the example row if
    asked), sheet "Hinweise" explaining each column."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    columns = column_definitions().template_columns()
    sheet.append([column.header for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    if example:
        sheet.append([column.example for column in columns])
    sheet.freeze_panes = "B2"
    for position, column in enumerate(columns):
        sheet.column_dimensions[column_letter(position)].width = max(14, len(column.header) + 2)

    notes = workbook.create_sheet(NOTES_SHEET)
    for row in notes_rows():
        notes.append(row)
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFG", (28, 16, 60, 60, 30, 30, 60)):
        notes.column_dimensions[letter].width = width
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def template_csv(example: bool = False) -> bytes:
    """The template as CSV the way German Excel opens it: UTF-8 with BOM, ";" as separator."""
    columns = column_definitions().template_columns()
    output = io.StringIO(newline="")
    writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
    writer.writerow([column.header for column in columns])
    if example:
        writer.writerow([column.example for column in columns])
    return codecs.BOM_UTF8 + output.getvalue().encode("utf-8")


TEMPLATE_FILES = {
    "xlsx": ("jena-datensaetze-vorlage.xlsx", XLSX_MEDIA_TYPE, template_xlsx),
    "csv": ("jena-datensaetze-vorlage.csv", "text/csv; charset=utf-8", template_csv),
}


def template_view(file_format: str = "xlsx"):
    """Flask view: the template as a download (``xlsx`` or ``csv``)."""
    import flask
    if file_format not in TEMPLATE_FILES:
        return tk.abort(404)
    file_name, media_type, build = TEMPLATE_FILES[file_format]
    return flask.Response(build(), mimetype=media_type.split(";")[0], headers={
        "Content-Type": media_type,
        "Content-Disposition": f'attachment; filename="{file_name}"',
        "Cache-Control": "public, max-age=3600",
    })



# -- the harvester ---------------------------------------------------------------------------------

class JenaSpreadsheetHarvester(JenaHarvester, p.SingletonPlugin):
    """Harvests a department's sheet: one dataset per row, identified by its "Kennung"."""
    p.implements(IHarvester)
    p.implements(p.IBlueprint)

    HARVESTER_NAME = "jena_spreadsheet"
    TITLE = N_("Departmental spreadsheet (Jena)")
    DESCRIPTION = N_("Datasets listed one per row in a CSV, XLSX or ODS sheet with German column "
                     "headers, as in the portal's template.")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._categories: tuple[str | None, Categories] | None = None

    def get_blueprint(self):
        from ckanext.jena.views.harvest import harvest
        return [harvest]

    def config_keys(self) -> set[str]:
        return {"sheet"}

    def check_config(self, config: dict[str, Any]) -> list[HarvestMessage]:
        sheet = config.get("sheet")
        if sheet is not None and not (isinstance(sheet, str) and sheet.strip()):
            return [HarvestMessage(N_("sheet must be the name of a sheet of the workbook."))]
        return []

    def list_records(self, run: SourceRun) -> Iterator[Record]:
        document = run.client.get(run.url, accept=ACCEPT)
        rows = read_sheet(document.body, document.media_type, document.url, document.charset,
                          sheet_name=run.config.get("sheet"),
                          max_unpacked=int(tk.config.get("ckanext.jena.harvest.max_document_size")))
        yield from sheet_records(sheet_table(rows), self._portal_categories(run), run.url)

    def to_dataset(self, content: str, run: SourceRun) -> dict[str, Any]:
        stored = json.loads(content)
        if not isinstance(stored, dict) or not isinstance(stored.get("cells"), dict):
            raise RecordError(N_("The stored record is not a row of the sheet."))
        return row_to_dataset(stored["cells"], None, self._portal_categories(run))

    def _portal_categories(self, run: SourceRun) -> Categories:
        """The portal's categories, read once per job."""
        if self._categories is None or self._categories[0] != run.job_id or run.job_id is None:
            self._categories = (run.job_id, Categories.from_portal())
        return self._categories[1]
