import time

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import add_never_cache_headers


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


REFRESHED = "_refreshed_at"  # the session key: when the session's expiry was last pushed on


class IdleSessionMiddleware:
    """A session ends after SESSION_COOKIE_AGE idle seconds. Django's SESSION_SAVE_EVERY_REQUEST
    would write and commit the session row on every request only to push its expiry on; here
    it is pushed on at most once every SESSION_REFRESH_SECONDS (60), so a session ends between
    29 and 30 idle minutes and most requests of a working user write nothing.

    Sits right after SessionMiddleware: the session is marked modified before it is saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # An empty session (anonymous, or just logged out) is not created or kept alive.
        live = session is not None and session.accessed and not session.is_empty()
        if live and time.time() - session.get(REFRESHED, 0) >= settings.SESSION_REFRESH_SECONDS:
            session[REFRESHED] = int(time.time())
        return response


def session_refreshed_at_login(sender, request, user, **kwargs):
    """user_logged_in: the session is written at login anyway, so it counts as pushed on and
    the first page after the login writes nothing."""
    request.session[REFRESHED] = int(time.time())


class NoStoreMiddleware:
    """Pages for a logged-in user carry order and customer data: no shared cache, no
    back/forward cache may keep them after logout (Cache-Control: no-store)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class MethodNotAllowedPageMiddleware:
    """Django answers a GET to a POST-only action (require_POST) with an empty 405: the user
    would see a blank page. Give it the project's page, keeping the status and Allow header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = render(request, "405.html", status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
