"""Counters per fixed time window in Redis, the shape every limit here uses (sign-in failures, look-up failures,
notification rates): INCR one key per window, let it expire after two windows, and read the current and the
previous window together, so no stretch of one window's length ever allows more than the limit."""


def count_up(redis, keys, seconds):
    """Add one to each key (already naming its window); returns the new counts, in the keys' order."""
    with redis.pipeline() as pipe:
        for key in keys:
            pipe.incr(key)
            pipe.expire(key, 2 * seconds)  # the window's counter outlives the window, then goes
        answers = pipe.execute()
    return [int(count) for count in answers[::2]]


def total(redis, keys):
    """The sum of the counters (missing ones count 0)."""
    return sum(int(value or 0) for value in redis.mget(list(keys)))
