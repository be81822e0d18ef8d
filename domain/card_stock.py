"""Physical member cards (制卡/发卡): their states and the moves between them."""

STATES = ("made", "issued", "active", "lost", "returned")
STATE_LABELS = {"made": "已制卡", "issued": "已发卡", "active": "已激活", "lost": "已挂失", "returned": "已退卡"}
MOVES = {
    "made": ("issued", "active"),
    "issued": ("active", "returned"),
    "active": ("lost", "returned"),
    "lost": ("returned",),
    "returned": (),
}


def can_move(state, to):
    return to in MOVES.get(state, ())
