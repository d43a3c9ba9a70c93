"""The project's URLs, plus the benchmark's stock admin (the baseline) at /stock-admin/."""

from django.urls import path

from regsupport.urls import urlpatterns as project_urlpatterns

from .stock_admin import stock_site

urlpatterns = [*project_urlpatterns, path("stock-admin/", stock_site.urls)]
