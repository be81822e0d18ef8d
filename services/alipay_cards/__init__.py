"""The member card in Alipay's card package (支付宝会员卡). The face is the one the merchant edits for WeChat
(services/wechat_cards/face.py: title, colour, cells, whether points and balance show); Alipay keeps it as a member
card template, and a member opens the card by their Alipay user id from the member centre.

    template.py  Alipay catching up with the face: alipay.marketing.card.template.create once, .modify after each
                 later save; a refusal kept in Alipay's words and tried again on the next save.
    opening.py   领取到支付宝卡包: alipay.marketing.card.open for a member with their points, balance and level, kept as
                 a holding with Alipay's card number (which the till also resolves to the member).
    updates.py   alipay.marketing.card.update with a member's totals, called by services/card_push/push.py beside
                 WeChat's update; a card Alipay no longer has stops being pushed.
The cards members opened are rows of models.AlipayCardHolding (open, deleted).
"""
