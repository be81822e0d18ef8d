"""Recruitment (招募): where members come from and who brought them: join codes of stores and staff, tracked links
of the nine share channels and posters, members' invite links and referral rewards, guides (专属导购), attribution
of joins, purchases and top-ups to their source, staff performance and commission."""
