"""Audiences (人群): who a send or a list reaches, built from member attributes.

Public face: `filters` (the one implementation of member filters: parse, conditions), `members_in` (count, sample,
export of an audience), `saved` (named audiences a merchant reuses).
"""
