"""Level jobs: move members up after the merchant changes the thresholds."""
from jobs.base import job
from services.members import levels


@job(queue="bulk")
def reevaluate_levels(session, merchant_id):
    """After the merchant edits level thresholds: move up every member who now qualifies."""
    return levels.reevaluate_members(session, merchant_id)
