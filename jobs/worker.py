"""The RQ worker, run inside the application it builds once at start (`flask worker`): every job finds its
configuration, its database and its services ready, and no job builds an application of its own."""
from redis import Redis
from rq import Queue, Worker

from extensions import db
from jobs.base import QUEUES


class ApplicationWorker(Worker):
    """RQ forks a work horse per job; the horse must not share the parent's pooled database connections."""

    def main_work_horse(self, job, queue):
        db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)


def run(redis_url, queues=QUEUES, burst=False):
    """Work the queues until stopped (or, with `burst`, until they are empty). Call inside an app context."""
    connection = Redis.from_url(redis_url)
    worker = ApplicationWorker([Queue(name, connection=connection) for name in queues], connection=connection)
    return worker.work(burst=burst)
