from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from simple_history.signals import post_create_historical_record

        from . import events

        # Every history row of every audited model, whichever app it is in.
        post_create_historical_record.connect(
            events.record_history_row, dispatch_uid="analytics-entity-events"
        )
