"""Member levels: which level a member's cumulative figures earn, and how far the next one is."""
from dataclasses import dataclass
from typing import Optional, Sequence


@dataclass(frozen=True)
class LevelRule:
    id: int
    rank: int
    min_spend: Optional[int] = None  # fen
    min_visits: Optional[int] = None
    min_topup: Optional[int] = None  # fen
    min_growth: Optional[int] = None  # 成长值

    def thresholds(self):
        return {"spend": self.min_spend, "visits": self.min_visits, "topup": self.min_topup,
                "growth": self.min_growth}


@dataclass(frozen=True)
class MemberProgress:
    total_spend: int = 0
    visit_count: int = 0
    total_topup: int = 0
    growth: int = 0

    @classmethod
    def of(cls, member):
        """The figures of anything shaped like a member row."""
        return cls(member.total_spend or 0, member.visit_count or 0, member.total_topup or 0, member.growth or 0)

    def figure(self, name):
        return {"spend": self.total_spend, "visits": self.visit_count, "topup": self.total_topup,
                "growth": self.growth}[name]


def qualifies(rule: LevelRule, progress: MemberProgress, is_base: bool = False):
    """Any one threshold reached suffices; the base (lowest) level needs none."""
    if is_base:
        return True
    return any(v is not None and progress.figure(k) >= v for k, v in rule.thresholds().items())


def ordered(rules: Sequence[LevelRule]):
    return sorted(rules, key=lambda r: r.rank)


def base_level(rules: Sequence[LevelRule]):
    return ordered(rules)[0] if rules else None


def earned_level(rules: Sequence[LevelRule], progress: MemberProgress):
    """The highest level whose thresholds the member's figures reach."""
    chain = ordered(rules)
    best = None
    for index, rule in enumerate(chain):
        if qualifies(rule, progress, is_base=index == 0):
            best = rule
    return best


def upgrade_target(current_rank: Optional[int], rules: Sequence[LevelRule], progress: MemberProgress):
    """The level to move up to, or None. Automatic changes only ever go up."""
    earned = earned_level(rules, progress)
    if earned is None:
        return None
    if current_rank is None or earned.rank > current_rank:
        return earned
    return None


def next_level_gaps(current_rank: Optional[int], rules: Sequence[LevelRule], progress: MemberProgress):
    """The next level up and, per threshold, how much is still missing (0 when reached)."""
    higher = [r for r in ordered(rules) if current_rank is None or r.rank > current_rank]
    if not higher:
        return None, {}
    target = higher[0]
    gaps = {k: max(0, v - progress.figure(k)) for k, v in target.thresholds().items() if v is not None}
    return target, gaps
