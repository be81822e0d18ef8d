"""The demo merchant `make run` loads (development only): stores, staff, levels, members with history, and
coupons and cards already in members' hands.
"""
