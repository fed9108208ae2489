"""The type of the acting user that every service takes as `actor`.

Users are settings.AUTH_USER_MODEL (django.contrib.auth's User here). Services are annotated with
its abstract base, so that no module names the concrete model and a custom user model derived
from AbstractUser would type-check the same."""

from django.contrib.auth.models import AbstractUser

Actor = AbstractUser
