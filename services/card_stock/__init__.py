"""Physical member cards (制卡/发卡, seed 004): batches of card numbers made for the printer, each card's life from
made to issued (handed to a store or a person) to active (bound to a member) to lost or returned, and issuing a
card to a member at the counter.

- numbers.py   fresh numbers (card number, stripe number, barcode) unique in the merchant's number space, and a
               typed, scanned or swiped number resolved to its card;
- batches.py   making a batch (in the request when small, chunk by chunk by a job when large), the batches with
               their counts per state, a batch's cards;
- printing.py  the printing file of a batch (CSV or XLSX), each export audited;
- states.py    every move of a card, one conditional UPDATE each (issued to a store, returned, following the
               member card's own lost / returned / replaced);
- binding.py   what binding a card number to a member (services/members/members.bind_identity) asks of the stock;
- counter.py   a staff member hands a card to a member at the counter (number and PIN checked, then bound).
"""
