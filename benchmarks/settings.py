"""The benchmark's settings: the project's, plus django-celery-results (the baseline we
measure against, a dev-only dependency) and the benchmark's plain Celery task."""

from regsupport.settings import *  # noqa: F403
from regsupport.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django_celery_results", "benchmarks"]
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
STORAGES = {"staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
ROOT_URLCONF = "benchmarks.urls"
