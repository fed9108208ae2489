"""The pages that belong to no app: home, health, and the Italian error pages (with the reason
when there is one)."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader


def home(request):
    return render(request, "core/home.html")


@login_not_required
def health(request):
    """For load balancers (and the trivial view of the benchmarks): the process answers."""
    return HttpResponse("ok", content_type="text/plain")


def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # Rendered without context processors: the failure may come from one of them.
    return HttpResponseServerError(loader.get_template("500.html").render())
