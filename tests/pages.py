"""Reading rendered pages as a browser does: the values a page's own form would post, and the
rows of its history of changes."""

from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "reset", "file", "image"}


class _Forms(HTMLParser):
    """Every <form>: its method, its action and the (name, value) pairs a browser would send
    without anyone touching it (checked boxes, selected options, text as rendered)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.form, self.select, self.textarea = [], None, None, None
        self.by_id = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "fields": [],
            }
            self.forms.append(self.form)
            if attrs.get("id"):
                self.by_id[attrs["id"]] = self.form
        if tag == "button" and attrs.get("formaction"):
            # A button that submits a form (its own, or the one its form="…" names) elsewhere:
            # the same fields go to that address.
            form = self.by_id.get(attrs.get("form")) or self.form
            if form is not None:
                self.forms.append(
                    {"method": "post", "action": attrs["formaction"], "fields": form["fields"]}
                )
        # A field outside its <form> belongs to the one its form="…" names (a table row's cells).
        form = self.by_id.get(attrs.get("form")) if attrs.get("form") else self.form
        if form is None and self.select is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    form["fields"].append((name, attrs.get("value", "on")))
            elif kind not in SKIPPED_INPUTS:
                form["fields"].append((name, attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select = {"name": name, "multiple": "multiple" in attrs, "chosen": []}
            self.select["first"], self.select["form"] = None, form
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select["first"] is None:
                self.select["first"] = value
            if "selected" in attrs:
                self.select["chosen"].append(value)
        elif tag == "textarea" and name:
            self.textarea = [name, "", form]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self.select is not None:
            chosen = self.select["chosen"]
            if not chosen and not self.select["multiple"] and self.select["first"] is not None:
                chosen = [self.select["first"]]  # a browser sends the first option
            self.select["form"]["fields"].extend((self.select["name"], value) for value in chosen)
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, text, form = self.textarea
            # HTML drops the newline right after <textarea>.
            form["fields"].append((name, text[1:] if text.startswith("\n") else text))
            self.textarea = None
        elif tag == "form":
            self.form = None


def form_as_rendered(response) -> dict[str, list[str]]:
    """What the page's own form (POST to the page itself) sends if submitted as it is."""
    parser = _Forms()
    parser.feed(response.content.decode())
    own = [f for f in parser.forms if f["method"] == "post" and f["action"] in ("", ".")]
    assert len(own) == 1, f"expected one form posting to the page, found {len(own)}"
    data = {}
    for name, value in own[0]["fields"]:
        if name != "csrfmiddlewaretoken":
            data.setdefault(name, []).append(value)
    return data


def post_forms_as_rendered(response) -> list[tuple[str, dict[str, list[str]]]]:
    """(action, data) of every POST form of the page, as a browser submits it untouched."""
    parser = _Forms()
    parser.feed(response.content.decode())
    found = []
    for form in parser.forms:
        if form["method"] != "post":
            continue
        data = {}
        for name, value in form["fields"]:
            if name != "csrfmiddlewaretoken":
                data.setdefault(name, []).append(value)
        found.append((form["action"], data))
    return found


class _HistoryTable(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside, self.in_body, self.rows, self.cell = False, False, [], None
        self.headings, self.heading_scopes, self.in_heading = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and attrs.get("id") == "history":
            self.inside = True
        if not self.inside:
            return
        if tag == "h2":
            self.in_heading = True
            self.headings.append("")
        elif tag == "th":
            self.heading_scopes.append(attrs.get("scope"))
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.cell = ""

    def handle_data(self, data):
        if self.in_heading:
            self.headings[-1] += data
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "h2":
            self.in_heading = False
        elif tag == "td" and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "section":
            self.inside = False


def history_table(response) -> "_HistoryTable":
    """The page's history section: `headings` (its <h2>), `heading_scopes` (of its <th>) and
    `rows`, each [when, who, what, before, after] as shown."""
    parser = _HistoryTable()
    parser.feed(response.content.decode())
    return parser


def history_rows(response) -> list[list[str]]:
    return history_table(response).rows
