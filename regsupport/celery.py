import os

from celery import Celery

from .logs import quiet_idle_housekeeping

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regsupport.settings")

app = Celery("regsupport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
quiet_idle_housekeeping()
# Every worker writes a heartbeat for /readyz and the silence alert (monitoring/heartbeat.py).
app.steps["worker"].add("monitoring.heartbeat:WorkerHeartbeat")
