"""Campaigns that run themselves (营销活动): birthday gifts, dormant wake-up, holidays, one-off and recurring drops,
and rewards for entering an audience.

Public face: `setup` (create, edit, switch on, pause, resume, end; the list), `dry_run` (who would get it now),
`runs` (the scheduler's tick: due occasions become runs with frozen targets; a run's chunks given out by jobs),
`entry` (a member who came to match an audience after a payment, a top-up or joining), `report` (what each campaign
and run earned, uplift over the holdout). The rewards themselves go out through services/issuance.
"""
