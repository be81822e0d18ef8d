import gc
import subprocess
import sys
from pathlib import Path

from web import heap

ROOT = Path(__file__).resolve().parents[3]


def test_are_the_objects_made_at_start_up_left_out_of_later_collections():
    gc.unfreeze()
    try:
        heap.settle()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules, the app, the mappers: far more than any request makes
        gc.collect()
        # Collections neither walk nor free them; reference counting still may, when another thread (the test
        # server's) lets go of a frozen object, so a handful may go.
        assert frozen - 20 <= gc.get_freeze_count() <= frozen
    finally:
        gc.unfreeze()


def test_does_the_served_app_freeze_its_start_up_heap(tmp_path):
    """What gunicorn imports (wsgi:app) settles the heap itself: in its own process, not to freeze this one's."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PATH": "/usr/bin:/bin", "REDIS_URL": ""}
    probe = "import gc, wsgi; print(gc.get_freeze_count())"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 10_000
