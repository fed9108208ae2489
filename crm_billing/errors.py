"""Italian error pages, rendered from the project's templates with the reason when there is one."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without context processors: the failure may come from one of them.
    return HttpResponseServerError(loader.get_template("500.html").render())
