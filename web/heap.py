"""A served process's start-up objects kept out of the cyclic garbage collector's way.

A collection of the oldest generation walks every container object the process holds: modules, the app, SQLAlchemy's
mappers and tables. In a gunicorn worker that took 60-140 ms with the GIL held (measured under the checkout
benchmark), and every request in flight in that worker waited it out: it made most of the till's p99. What start-up
makes lives as long as the process, so it is frozen (gc.freeze); later collections walk only what requests made.
"""
import gc

from sqlalchemy.orm import configure_mappers


def settle():
    """Call once the app is built: mappers are configured first, so what that builds is frozen with the rest."""
    configure_mappers()
    gc.collect()
    gc.freeze()
