from django.apps import AppConfig


class DqtConfig(AppConfig):
    name = "dqt"
    verbose_name = "DQT"
