"""The pages outside every app: home, health, login, logout, the language switch."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path
from django.views.i18n import set_language

from core import views
from core.forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("salute/", views.health, name="health"),
    path("accesso/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("uscita/", auth_views.LogoutView.as_view(), name="logout"),
    path("lingua/", login_not_required(set_language), name="set_language"),
]
