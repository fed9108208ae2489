"""The menu: each app adds its entries when it starts (AppConfig.ready), so the kernel names no
app above it. A user sees only the entries whose function they hold; the server checks again."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The sections, in the order of the menu bar and of the home page.
POST_SALES, BACK_OFFICE, ADMINISTRATION = "post_sales", "back_office", "administration"
SECTIONS = {
    POST_SALES: _("Post-sales"),
    BACK_OFFICE: _("Back Office"),
    ADMINISTRATION: _("Administration"),
}


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    perm: str | None
    args: tuple = ()

    @property
    def url(self):
        return reverse(self.url_name, args=self.args)


_items: dict[str, list[MenuItem]] = {section: [] for section in SECTIONS}


def add(section: str, *items: MenuItem) -> None:
    """Add entries to a section once; called from an app's ready(), safe to call again."""
    entries = _items[section]
    entries.extend(item for item in items if item not in entries)


def navigation(request):
    """Context processor: the sections with the entries this user may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    menu = []
    for section in SECTIONS:
        allowed = [
            item for item in _items[str(section)] if item.perm is None or user.has_perm(item.perm)
        ]
        if allowed:
            menu.append((SECTIONS[section], allowed))
    return {"menu": menu}
