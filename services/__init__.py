"""Use cases. Each takes a session, flushes, and never commits: the request or job is the unit of work."""
