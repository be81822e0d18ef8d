"""Cards a member holds: count and timed cards (次卡, 时长卡), gift cards (礼品卡), benefit cards (权益卡), what
card templates share, and the member's physical card (挂失、补卡、退卡).

Public face:
- count and timed cards: `count_timed_templates` (templates, tiers), `count_timed_issue` (selling or giving one,
  extending a timed card), `count_timed_use` (use at the till, undo), `count_timed_photos` (the member's photo and
  its signed link), `count_timed_closing` (void, refund), `count_timed_holdings` (a member's cards, today's uses,
  the allowance lines), `count_timed_instrument` (the staff page's adapter);
- gift cards: `gift_templates` (templates, themes), `gift_issue` (electronic cards), `gift_batches` (physical
  cards and their printing file), `gift_activation` (binding by card number + PIN, SMS activation),
  `gift_transfer` (giving a card to a friend), `gift_spend` (spending at the till, undo), `gift_void`,
  `gift_holdings` (a member's cards, balance, history; a template's cards), `gift_instrument` (the staff page's
  adapter); `gift_states` is the conditional state change they share;
- benefit cards: `benefit_templates` (what a card grants; listed, stopped), `benefit_issue` (issuing with the
  gift pack, extending), `benefit_refunds`, `benefit_holdings` (a card, a template's holders, a member's cards),
  `benefit_texts` (state, benefits and price as people read them), `benefit_in_force` (the best benefits at the
  till), `benefit_instrument` (the staff page's adapter);
- `templates` (what every kind of card template shares), `physical` (the member's physical card).
"""
