from django.core.management.commands import makemessages


class Command(makemessages.Command):
    """makemessages without fuzzy matching: a new string is left untranslated (and so caught by
    the catalogue checks) instead of getting a guessed, wrong translation marked fuzzy."""

    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
