"""The member card in WeChat's card package (微信会员卡): the merchant's card (its face, as WeChat's member card API
takes it), created and kept in sync in WeChat through the official account's client, and the cards members hold
in their packages.

    face.py      The card as the merchant edits it: checked against WeChat's limits, saved with a new version.
    sync.py      WeChat catching up with the newest version: card/create once, card/update after each edit, the logo
                 uploaded when it changed; a refusal kept with WeChat's message and tried again on the next save.
The cards in members' packages are rows of models.WechatCardHolding (added, activated, deleted, one per code);
the callback events that write them (user_get_card, user_del_card) are still to come.
"""
