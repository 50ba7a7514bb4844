"""The Celery app: tasks are discovered in every installed app's tasks.py.

Every task is a `brokercrm.jobs.DurableTask` (late acks, requeued when its worker dies,
capped attempts with a recorded failed state, `delay_on_commit`): see that module.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokercrm.settings")

app = Celery("brokercrm", task_cls="brokercrm.jobs:DurableTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
