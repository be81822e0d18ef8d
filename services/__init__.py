"""Use cases, one package per feature (docs/architecture.md draws them). Each takes a session, flushes, and never
commits: the request (web/boundary.py) or the job is the unit of work. Services import neither Flask nor anything
above them; what they need of the application comes through `services.shared.host`, and work for later through
`services.shared.job_queue`."""
