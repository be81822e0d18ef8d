"""The member card in WeChat's card package (微信会员卡): the merchant's card (its face, as WeChat's member card API
takes it), created and kept in sync in WeChat through the official account's client, and the cards members hold
in their packages.

    face.py      The card as the merchant edits it: checked against WeChat's limits, saved with a new version.
    sync.py      WeChat catching up with the newest version: card/create once, card/update after each edit, the logo
                 uploaded when it changed; a refusal kept with WeChat's message and tried again on the next save.
    events.py    The callback's card events (user_get_card, user_del_card, user_view_card, update_member_card,
                 submit_membercard_user_info) written to the holdings, for the merchant's own card only.
    activation.py  激活 from the card's activation link: the holding bound to the member (who claims the card with a
                 verified phone first if need be), then card/membercard/activate with the code staff scan, points
                 and balance; the till resolves that code to the member.
    add_card.py  领取到微信卡包 from the member centre: whether to offer the card, and wx.addCard's signed cardExt.
The cards in members' packages are rows of models.WechatCardHolding (added, activated, deleted, one per code).
"""
