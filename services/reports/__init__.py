"""Reports (报表): daily rollups of sales, members, stored value, points, coupons and cards, read by the back office's
report pages and dashboard in well under a second however large the raw tables grow.

Each report family (`families.py`) names one set-based query that sums a day's raw rows into (store, key, count,
amount). `rollups.py` writes those sums into `report_daily`: a day is rebuilt whole from the raw tables (the nightly
job, the CLI, or the first reader of a day nobody built), and an incremental family (sales) is also added to by
each payment in its own transaction, so today's figures are exact at once. `figures.py` reads a date range: closed
days from the rollups, today from the rollups (incremental) or from its live query (the rest).
"""
