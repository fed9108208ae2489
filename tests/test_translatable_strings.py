"""xgettext does not read inside f-strings: a gettext call there never reaches the Italian
catalogue, and the user reads English in the middle of Italian ("Line 1: quantità…"). The
catalogue check of CI cannot see it, so this test does: no translation call inside an
f-string, anywhere in the project's code."""

import ast

from tests.test_layout import ROOT, project_modules

TRANSLATION_CALLS = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}


def translation_calls_in_fstrings(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in TRANSLATION_CALLS
                ):
                    lines.append(inner.lineno)
    return lines


def test_no_translation_call_hides_in_an_fstring():
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in project_modules().values()
        for line in translation_calls_in_fstrings(path.read_text())
    ]
    assert found == []


def test_the_check_sees_a_translation_call_in_an_fstring():
    assert translation_calls_in_fstrings("x = f\"{_('Line')} {n}\"") == [1]
    assert translation_calls_in_fstrings('x = _("Line %(n)s") % {"n": n}') == []
