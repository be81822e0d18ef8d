import gc

from web import heap


def test_are_the_objects_made_at_start_up_left_out_of_later_collections():
    gc.unfreeze()
    try:
        heap.settle()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules, the app, the mappers: far more than any request makes
        gc.collect()
        assert gc.get_freeze_count() == frozen  # collections neither walk nor free them
    finally:
        gc.unfreeze()
