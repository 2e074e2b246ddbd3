"""A policy's ladder with its lookups read once (plain Python, no model).

``relance.engine._next_step`` runs once per open invoice (100,000 times a day at scale): the
positions, delays and hand-off flags of the levels are read from the records once per ladder
instead of once per invoice.
"""

from datetime import timedelta


class Ladder(list):
    """The ``relance.level`` records of a ladder, in escalation order (still a ``list`` of them,
    for the overrides of ``_next_step``), with what the step rule reads of each level."""

    __slots__ = ("delays", "handoffs", "ids", "next_past_due", "offsets", "position")

    def __init__(self, levels=()):
        super().__init__(levels)
        self.ids = [level.id for level in self]
        self.delays = [level.delay for level in self]
        self.offsets = [timedelta(days=delay) for delay in self.delays]
        self.handoffs = [bool(level.action_handoff) for level in self]
        self.position = {}
        for i, level_id in enumerate(self.ids):
            self.position.setdefault(level_id, i)
        # next_past_due[i]: the first level from position i on that is offered once the due date has
        # passed (courtesy levels, negative delay, are not); one more slot for "past the top"
        self.next_past_due = [None] * (len(self) + 1)
        following = None
        for i in range(len(self) - 1, -1, -1):
            if self.delays[i] >= 0:
                following = i
            self.next_past_due[i] = following

    @classmethod
    def of(cls, ladder):
        """``ladder`` itself when its lookups are read, else a :class:`Ladder` of its levels."""
        return ladder if isinstance(ladder, cls) else cls(ladder)

    def index_of(self, level):
        """Position of ``level`` (a record) on the ladder; a level of another (or changed) policy
        resumes at the last level of the same or a shorter delay (-1: before the first)."""
        position = self.position.get(level.id)
        if position is None:
            delay = level.delay
            position = max((i for i, own in enumerate(self.delays) if own <= delay), default=-1)
        return position

    def next_index(self, position, past_due):
        """Position of the level after ``position`` (``None`` at the top of the ladder)."""
        start = position + 1
        if past_due:
            return self.next_past_due[start]
        return start if start < len(self) else None
