#!/usr/bin/env python3
"""Add the portal's extra field types and fields to CKAN's Solr schema.

Usage:
    python3 stack/solr/schema_additions.py <in schema.xml> <out schema.xml>

Works on CKAN's ``schema.xml`` and on a ``managed-schema`` with the same
content (as shipped in the ckan/ckan-solr images). Only the additions are
inserted; every other byte, including the ``<schema name="ckan-X.Y">`` root
that CKAN's version check reads, stays as it was. Definitions that already
exist (same element kind and name) are left alone, so running the script on
its own output changes nothing.

Placement: field types go before ``</types>``, fields and dynamic fields
before ``</fields>``; schemas without those wrappers get them before
``</schema>``, as do copy fields. Standard library only.

Search in two languages: the portal's plugin (``ckanext/jena/search.py``) puts each
dataset's German texts into ``title_de``/``text_de`` and its English texts into
``title_en``/``text_en``; the field types below analyse them as German or English, and
the plugin searches those fields. CKAN's own fields and types are left as they are.
The German type splits compound words with a word list kept next to this script
(``CONF_FILES``); it belongs in the core's ``conf`` folder beside the schema.
"""

import re
import sys
import textwrap
import xml.etree.ElementTree as ET

# Each entry is one XML element for the schema. Its tag and name decide where
# it goes and whether it is already there.
ADDITIONS = [
    # ckanext-spatial, backend "solr-spatial-field" (needs jts-core on Solr's classpath)
    """
    <fieldType name="location_rpt" class="solr.SpatialRecursivePrefixTreeFieldType"
        spatialContextFactory="JTS" autoIndex="true" validationRule="repairBuffer0"
        distErrPct="0.025" maxDistErr="0.001" distanceUnits="kilometers"/>
    """,
    '<field name="spatial_geom" type="location_rpt" indexed="true" stored="true" multiValued="true"/>',
    # ckanext-spatial, backend "solr-bbox"
    '<field name="minx" type="float" indexed="true" stored="true"/>',
    '<field name="maxx" type="float" indexed="true" stored="true"/>',
    '<field name="miny" type="float" indexed="true" stored="true"/>',
    '<field name="maxy" type="float" indexed="true" stored="true"/>',
    '<field name="bbox_area" type="float" indexed="true" stored="true"/>',
    # German: lower case, then umlauts and ß normalised (ä→a, ae→a, ß→ss, so "Strassenbaeume"
    # and "Straßenbäume" are one word), then compounds split with the word list (it is written
    # in that normalised spelling: "Straßenbäume" also yields "strassen" and "baume"), then
    # light stemming ("Bäume", "Baum" → "baum") and folding of any other accents. The query
    # is analysed the same way; the parts of a compound count as alternatives of the word,
    # and the best-scoring one counts ("pick_best"), so "Stadtbäume" ranks tree data above
    # everything that merely says "Stadt".
    """
    <fieldType name="text_de" class="solr.TextField" positionIncrementGap="100" synonymQueryStyle="pick_best">
        <analyzer>
            <tokenizer class="solr.StandardTokenizerFactory"/>
            <filter class="solr.LowerCaseFilterFactory"/>
            <filter class="solr.GermanNormalizationFilterFactory"/>
            <filter class="solr.DictionaryCompoundWordTokenFilterFactory" dictionary="german_compound_words.txt"
                minWordSize="5" minSubwordSize="3" maxSubwordSize="20" onlyLongestMatch="false"/>
            <filter class="solr.GermanLightStemFilterFactory"/>
            <filter class="solr.ASCIIFoldingFilterFactory"/>
            <filter class="solr.RemoveDuplicatesTokenFilterFactory"/>
        </analyzer>
    </fieldType>
    """,
    # English: possessives dropped ("children's" → "children"), lower case, accents folded,
    # Porter stemming ("trees" → "tree", "parking" → "park").
    """
    <fieldType name="text_en" class="solr.TextField" positionIncrementGap="100">
        <analyzer>
            <tokenizer class="solr.StandardTokenizerFactory"/>
            <filter class="solr.EnglishPossessiveFilterFactory"/>
            <filter class="solr.LowerCaseFilterFactory"/>
            <filter class="solr.ASCIIFoldingFilterFactory"/>
            <filter class="solr.PorterStemFilterFactory"/>
        </analyzer>
    </fieldType>
    """,
    '<field name="title_de" type="text_de" indexed="true" stored="false" multiValued="true"/>',
    '<field name="title_en" type="text_en" indexed="true" stored="false" multiValued="true"/>',
    '<field name="text_de" type="text_de" indexed="true" stored="false" multiValued="true"/>',
    '<field name="text_en" type="text_en" indexed="true" stored="false" multiValued="true"/>',
]

# Files the field types above read, next to this script; they go into the core's conf folder.
CONF_FILES = ("german_compound_words.txt",)

_TYPE_TAGS = ("fieldType", "fieldtype")
_FIELD_TAGS = ("field", "dynamicField")
_COPY_TAG = "copyField"
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _mask_comments(text):
    """Blank out comments (same length) so searches ignore commented-out XML."""
    return _COMMENT.sub(lambda m: " " * len(m.group(0)), text)


def _parse_addition(snippet):
    xml = textwrap.dedent(snippet).strip()
    elem = ET.fromstring(xml)
    if elem.tag in _TYPE_TAGS + _FIELD_TAGS:
        if not elem.get("name"):
            raise ValueError("addition without name: %s" % xml)
    elif elem.tag == _COPY_TAG:
        if not (elem.get("source") and elem.get("dest")):
            raise ValueError("copyField needs source and dest: %s" % xml)
    else:
        raise ValueError("unsupported schema element <%s>" % elem.tag)
    return elem, xml


def _tag_attrs(masked, tags):
    """Yield the attribute dict of every start tag named in ``tags``."""
    pattern = re.compile(r"<(%s)(\s[^>]*?)?/?>" % "|".join(map(re.escape, tags)))
    attr = re.compile(r"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
    for m in pattern.finditer(masked):
        yield {a.group(1): a.group(2) if a.group(2) is not None else a.group(3)
               for a in attr.finditer(m.group(2) or "")}


def _exists(masked, elem):
    if elem.tag in _TYPE_TAGS:
        return any(a.get("name") == elem.get("name") for a in _tag_attrs(masked, _TYPE_TAGS))
    if elem.tag in _FIELD_TAGS:
        return any(a.get("name") == elem.get("name") for a in _tag_attrs(masked, (elem.tag,)))
    return any(a.get("source") == elem.get("source") and a.get("dest") == elem.get("dest")
               for a in _tag_attrs(masked, (_COPY_TAG,)))


def _closing_tag(masked, name):
    """Offset of the first ``</name>`` outside comments, or None."""
    m = re.search(r"</%s\s*>" % name, masked)
    if m is None:
        return None
    return m.start()


def _insertion_point(masked, wrapper):
    pos = _closing_tag(masked, wrapper) if wrapper else None
    if pos is None:
        pos = _closing_tag(masked, "schema")
        if pos is None:
            raise ValueError("no </schema> closing tag found")
    return pos


def _child_indent(text, pos, default):
    """Indentation of the last non-blank line before ``pos`` (inside the block)."""
    for line in reversed(text[:pos].splitlines()):
        if line.strip():
            indent = line[: len(line) - len(line.lstrip())]
            return indent if indent else default
    return default


def add_fields(schema_xml_text: str) -> str:
    """Return ``schema_xml_text`` with the missing ADDITIONS inserted."""
    newline = "\r\n" if "\r\n" in schema_xml_text else "\n"
    masked = _mask_comments(schema_xml_text)
    has_types = re.search(r"<types\s*>", masked) is not None
    has_fields = re.search(r"<fields\s*>", masked) is not None

    groups = {}  # wrapper name (or None for top level) -> list of snippets
    for snippet in ADDITIONS:
        elem, xml = _parse_addition(snippet)
        if _exists(masked, elem):
            continue
        if elem.tag in _TYPE_TAGS:
            wrapper = "types" if has_types else None
        elif elem.tag in _FIELD_TAGS:
            wrapper = "fields" if has_fields else None
        else:
            wrapper = None
        groups.setdefault(wrapper, []).append(xml)
    if not groups:
        return schema_xml_text

    inserts = []
    for wrapper, xmls in groups.items():
        pos = _insertion_point(masked, wrapper)
        # insert at the start of the line holding the closing tag
        line_start = schema_xml_text.rfind("\n", 0, pos) + 1
        if schema_xml_text[line_start:pos].strip():
            line_start = pos  # closing tag shares its line with content
        indent = _child_indent(schema_xml_text, line_start, "    ") if wrapper else ""
        lines = []
        for xml in xmls:
            lines.extend(indent + line if line.strip() else line for line in xml.splitlines())
        block = newline.join(lines) + newline
        if line_start == pos and pos > 0 and schema_xml_text[pos - 1] not in "\r\n":
            block = newline + block
        inserts.append((line_start, block))

    result = schema_xml_text
    for pos, block in sorted(inserts, reverse=True):
        result = result[:pos] + block + result[pos:]

    ET.fromstring(result.encode("utf-8"))  # still well-formed
    return result


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: %s <in schema.xml> <out schema.xml>\n" % argv[0])
        return 2
    with open(argv[1], encoding="utf-8", newline="") as f:
        text = f.read()
    out = add_fields(text)
    with open(argv[2], "w", encoding="utf-8", newline="") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
