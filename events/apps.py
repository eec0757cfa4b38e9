from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "History lessons"

    def ready(self) -> None:
        from . import rendering  # noqa: F401  (its signal receivers keep stored renderings current)
