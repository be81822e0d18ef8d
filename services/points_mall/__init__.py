"""The points mall (积分商城): gifts a merchant offers for points at a price per level (gifts.py), members'
exchanges with their pick-up codes, cancellations with points back (exchanges.py), and the handing over at a
store through the verification interface (instrument.py); staff exchanging for a member at the counter, the gift
handed over at once, and cancelling a member's unclaimed exchange there (counter.py)."""
