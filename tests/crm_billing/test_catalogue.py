"""The Italian catalogue is complete and its committed .mo is compiled from the committed .po."""

import gettext
import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "it" / "LC_MESSAGES" / "django.po"


def po_entries():
    """(msgid, [msgstr...], flags) for every entry but the header."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        flags = " ".join(line for line in lines if line.startswith("#,"))
        strings, current = {}, None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                strings[current] = match.group(2)
            elif line.startswith('"') and current:
                strings[current] += line[1:-1]
        if strings.get("msgid"):
            translations = [value for key, value in strings.items() if key.startswith("msgstr")]
            if "msgid_plural" in strings:
                flags += " plural"
            if "msgctxt" in strings:
                flags += f" context={strings['msgctxt']}"
            entries.append((strings["msgid"], translations, flags))
    return entries


def unescape(text):
    return text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_every_string_is_translated_and_none_is_fuzzy():
    entries = po_entries()
    assert len(entries) > 200
    assert [msgid for msgid, translations, _ in entries if not all(translations)] == []
    assert [msgid for msgid, _, flags in entries if "fuzzy" in flags] == []


def test_the_compiled_catalogue_matches_the_source():
    with open(PO.with_suffix(".mo"), "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    stale = []
    for msgid, translations, flags in po_entries():
        msgid, expected = unescape(msgid), unescape(translations[0])
        context = re.search(r"context=(.+)$", flags)  # the last flag; it may hold spaces
        if context:
            found = compiled.pgettext(context.group(1), msgid)
        elif "plural" in flags:
            found = compiled.ngettext(msgid, msgid, 1)
        else:
            found = compiled.gettext(msgid)
        if found != expected:
            stale.append(msgid)
    assert stale == []
