"""Members: joining (claiming the card with a verified phone), profile, identities, tags, the merchant's own
member fields, the level ladder with upgrades, the member QR code, what a member holds, and SMS verification codes.

Public face: `members`, `join`, `fields`, `levels`, `qr`, `holdings`, `sms_codes`.
"""
