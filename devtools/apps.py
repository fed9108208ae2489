from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Benchmarks, the load generator and the stand-in ERP: installed by development and test
    settings only (DEVTOOLS), never in production."""

    name = "devtools"
    verbose_name = "Development tools"
