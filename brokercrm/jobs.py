"""Jobs that survive: the base class of every Celery task of BrokerCRM.

- Late acks and `reject_on_worker_lost`: a message is acknowledged only once its task
  has finished, so a worker killed mid-task (kill -9, OOM, a lost machine) leaves the
  message unacknowledged and the broker hands it out again (Redis: after the
  visibility timeout, `CELERY_VISIBILITY_TIMEOUT`, which is longer than the longest job).
  Prefetch 1 (settings): a worker holds no message it is not running.
- Capped attempts: every delivery of a task id is counted (in the cache, i.e. Redis);
  past `CELERY_TASK_MAX_ATTEMPTS` the task is not run again but `record_failure` records
  the failed state (an import batch `failed`, a score run `failed`), so a job that kills
  its worker every time does not loop forever.
- Transient database loss (the server restarting) is retried with a backoff, within
  the same cap.
- `delay_on_commit` / `apply_async_on_commit` (Celery's DjangoTask): queue a task only
  once the transaction that wrote its input has committed.

Tasks must therefore be idempotent: a re-delivered task may find its work half done by
the dead worker (rolled back by the database) or done (then it returns).
"""

import logging

from celery.contrib.django.task import DjangoTask
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

log = logging.getLogger(__name__)

ATTEMPTS_TTL = 7 * 24 * 3600


class DurableTask(DjangoTask):
    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = (OperationalError, InterfaceError)
    retry_backoff = 5
    retry_backoff_max = 300
    retry_jitter = True

    @property
    def max_attempts(self) -> int:
        return getattr(settings, "CELERY_TASK_MAX_ATTEMPTS", 3)

    @property
    def max_retries(self) -> int:  # retries after a transient error share the cap
        return self.max_attempts - 1

    def __call__(self, *args, **kwargs):
        request = self.request
        if request.id and not request.is_eager and not request.called_directly:
            attempt = self.count_attempt(request.id)
            if attempt > self.max_attempts:
                reason = (
                    f"gave up after {self.max_attempts} attempts "
                    "(its worker died or the database was unreachable each time)"
                )
                log.error("task %s[%s]: %s", self.name, request.id, reason)
                self.record_failure(args, kwargs, reason)
                return None
        return super().__call__(*args, **kwargs)

    @staticmethod
    def count_attempt(task_id: str) -> int:
        """This delivery's number (1 for the first) for the task id."""
        key = f"jobs:attempts:{task_id}"
        cache.add(key, 0, ATTEMPTS_TTL)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, ATTEMPTS_TTL)
            return 1

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """The last attempt failed: record it where the job's owner looks."""
        try:
            self.record_failure(args, kwargs, f"{type(exc).__name__}: {exc}")
        except Exception:  # the database may be the thing that failed
            log.exception(
                "task %s[%s]: could not record its failure", self.name, task_id
            )

    def record_failure(self, args, kwargs, reason: str) -> None:
        """Record the failed state of the job (override per task); logs by default."""
        log.error("task %s failed: %s", self.name, reason)
