"""The per-process memory of merchant configuration: remembered for SECONDS, forgotten by merchant and kind."""
from services.shared import merchant_memory


def test_is_a_value_loaded_once_while_remembered_and_again_after(monkeypatch):
    merchant_memory.forget_all()
    clock = [100.0]
    monkeypatch.setattr(merchant_memory.time, "monotonic", lambda: clock[0])
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    assert merchant_memory.recall("k", 1, load) == 1
    assert merchant_memory.recall("k", 1, load) == 1
    clock[0] += merchant_memory.SECONDS + 0.01
    assert merchant_memory.recall("k", 1, load) == 2


def test_does_forgetting_touch_only_that_merchant_and_those_kinds():
    merchant_memory.forget_all()
    for kind, merchant_id in (("a", 1), ("b", 1), ("a", 2)):
        merchant_memory.recall(kind, merchant_id, lambda: "old")
    merchant_memory.forget(1, "a")
    assert merchant_memory.recall("a", 1, lambda: "new") == "new"
    assert merchant_memory.recall("b", 1, lambda: "new") == "old"
    assert merchant_memory.recall("a", 2, lambda: "new") == "old"
    merchant_memory.forget(2)
    assert merchant_memory.recall("a", 2, lambda: "new") == "new"
