"""Gestione anagrafiche: the kinds of master data it lists, creates and edits. Each app adds
its own kinds when it starts (AppConfig.ready), as it does its menu entries, so the Back Office
names no app above it. A kind names its model ("app_label.Model") and its form (a dotted path):
they are looked up when first used, after every app is loaded."""

from django.apps import apps
from django.utils.functional import cached_property
from django.utils.module_loading import import_string


class MasterData:
    """One screen family for each kind of master data: list, new, edit. Records in use are
    switched off with "active" instead of being deleted; a kind nothing points at (the price of
    a product in a price list) may be `deletable`, with a confirmation page."""

    def __init__(self, slug, model, form_class, columns, search_fields, *, deletable=False):
        self.slug, self._model, self._form_class = slug, model, form_class
        self.columns, self.search_fields = columns, search_fields
        self.deletable = deletable

    @cached_property
    def model(self):
        return apps.get_model(self._model) if isinstance(self._model, str) else self._model

    @cached_property
    def form_class(self):
        if isinstance(self._form_class, str):
            return import_string(self._form_class)
        return self._form_class

    @property
    def title(self):
        return self.model._meta.verbose_name_plural

    def __repr__(self):
        return f"MasterData({self.slug!r})"


# slug → kind, in the order of the tabs: the Back Office's own first, then the other apps'.
MASTER_DATA: dict[str, MasterData] = {}


def register(*kinds: MasterData) -> None:
    """Add kinds of master data to Gestione anagrafiche; called from an app's ready(), safe to
    call again. A slug names one kind: registering another model under it is a mistake."""
    for kind in kinds:
        known = MASTER_DATA.get(kind.slug)
        if known is not None and known._model != kind._model:
            raise ValueError(f"Master data slug {kind.slug!r} is already taken.")
        MASTER_DATA.setdefault(kind.slug, kind)
