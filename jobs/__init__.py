"""Background jobs: thin wrappers over services, on named RQ queues when REDIS_URL is set, inline otherwise.

- `base`: the `job` decorator, the registry, `enqueue` for entry points, one transaction per item.
- `catalogue`: every job module, imported once so the registry is complete.
- `dispatch`: how a job goes (RQ or inline) and what a worker runs (`execute`).
- `schedule`: periodic jobs, declared in code. `worker`: the RQ worker, inside the application.
- One module per feature with its jobs: `points`, `levels`, `membership`, `notices`, `wechat`, `coupons`, `payments`,
  `stored_value`, `self_pay`.

Jobs are dispatched only after the enqueuing transaction commits (services/shared/job_queue.py), so a worker never
looks for rows that are not there yet, and a rolled-back request enqueues nothing.
"""
