import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regsupport.settings")

app = Celery("regsupport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker writes a heartbeat for /readyz and the silence alert (monitoring/heartbeat.py).
app.steps["worker"].add("monitoring.heartbeat:WorkerHeartbeat")
