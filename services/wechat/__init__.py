"""The merchant's official account: credentials and callback crypto, each callback taken once, the menu,
keyword replies, account and member-page settings, followers (fans), JS-SDK signatures and template notices.

Public face: `account`, `crypto`, `inbound`, `menu`, `replies`, `settings`, `fans`, `jssdk`, `notices`.
"""
