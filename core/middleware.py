from django.conf import settings
from django.utils import translation


class ChosenLanguageMiddleware:
    """Italian unless the user chose another language with the switch in the menu bar.

    Django's LocaleMiddleware would follow the browser's Accept-Language, which on an office PC is
    often English even for Italian staff; here only an explicit choice (the language cookie set
    by set_language) changes the language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
