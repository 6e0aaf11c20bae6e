"""Bulk-insert mode (mas_expected_entries), used by the 6.1-6.7 fork path.

Mirrors mas_bulk_rebalance and the check mas_destroy() makes before
mas_destroy_rebalance().
"""

from .constants import MT_MIN_SLOTS
from .mas import MA_STATE_BULK, MA_STATE_REBALANCE


def mas_bulk_rebalance(mas, end, mt):
    """mas_bulk_rebalance(): in bulk mode, forget a pending rebalance once the
    node is sufficient."""
    if not mas.mas_flags & MA_STATE_BULK:
        return
    if mas.node is None or mas.node.parent is None:
        return
    if end > MT_MIN_SLOTS[mt]:
        mas.mas_flags &= ~MA_STATE_REBALANCE


def mas_destroy_rebalance_check(mas):
    """The part of mas_destroy() that fixes an insufficient last leaf after a
    bulk insert (see mapletree.core.state.MapleState.expected_entries)."""
    from .state import destroy_rebalance
    destroy_rebalance(mas)
