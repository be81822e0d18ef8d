"""Reaching members (会员沟通): sends (群发) of one message to a frozen audience by WeChat mass message and marketing
SMS, with the channel chosen per member, the seed's rules kept (4 a month, 70 characters, sensitive words, opt-outs,
quiet hours), and a report of what followed.

Public face: `compose` (write a draft), `plan` (who gets it on which channel, and who is skipped and why),
`previews` (预览 to one follower), `run` (submit, confirm, cancel, and the job's steps), `report` (figures of one send
and the list), `coupon_offer` (the coupon a send carries), `inbound` (WeChat's job-finish figures, SMS replies of T),
`settings` (signature, own sensitive words, SMS fallback).
"""
