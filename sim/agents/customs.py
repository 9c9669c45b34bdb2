"""Customs post at a border crossing: files shipments by class, refuses some waste
shipments (prior notification and consent), inspects a share of each class and clears freight
through a queue it shares with the crossing's other traffic, up to its capacity.

A waste shipment needs the consent of the authorities on both sides of the post (the regulators
of its two economies, :meth:`sim.agents.regulator.Regulator.consent_days`); it waits for the
slower of the two, which grows with the notifications each authority handles. A common regional
procedure (customs streamlining) shortens the authorities' decision deadline at the post
(``decision_deadline_days``); the consent time still grows with their load.

Clearance time and the share of the capacity other freight takes are read from the monitoring of
freight waiting times at WB6 crossings (sim/data/parameters.yaml border_clearance_days,
border_background_utilisation), so a post's wait grows with the load the model puts on it.

Notified waste is cleared only at the customs offices designated for waste shipments
(Regulation (EC) No 1013/2006 Art. 55, Regulation (EU) 2024/1157: states may designate the
offices through which waste enters and leaves; ``waste_customs_offices``), at a waste desk whose
inspectors check each consignment against its notification in office hours
(``waste_desk_hours_month``, ``waste_check_hours``, ``consignment_t``): a second, much smaller
queue, with the wait until the desk opens. Freight still at the post at the month's end is
the backlog: this month's filings times their expected time at the post over the month's days
(Little's law: tonnes waiting = arrivals x time in the system), plus what the lanes could not
clear, cleared first the next month."""

from __future__ import annotations

import math
from collections import deque

import mesa
import numpy as np

from sim.agents.kinds import actor_kind
from sim.agents.regulator import DECISION_DEADLINE_DAYS
from sim.errors import ConfigError
from sim.parameters import NAMES, declare
from sim.world import DAYS_PER_MONTH, STATUSES, WASTE

#: utilisation above which the steady-state queue formula is not used (the overflow waits in
#: the backlog instead, cleared month by month)
MAX_UTILISATION = 0.99
#: the waste desk is staffed on working days only
WORKING_DAYS_PER_WEEK = 5
HOURS_PER_DAY = 24.0

declare("waste_customs_offices", NAMES)
declare("waste_desk_hours_month")
declare("waste_check_hours")
declare("consignment_t")


def opening_wait_days(hours_month: float) -> float:
    """Mean wait of a consignment arriving at a random hour until the waste desk is open, days:
    the desk works one shift of ``hours_month`` spread over the working days, so a week has four
    night gaps and one weekend gap, and a random arrival waits half the square of its gap over
    the week's hours."""
    working_days = DAYS_PER_MONTH * WORKING_DAYS_PER_WEEK / 7.0
    shift = min(hours_month / working_days, HOURS_PER_DAY)
    night = HOURS_PER_DAY - shift
    weekend = night + (7 - WORKING_DAYS_PER_WEEK) * HOURS_PER_DAY
    week = 7 * HOURS_PER_DAY
    return ((WORKING_DAYS_PER_WEEK - 1) * night ** 2 + weekend ** 2) / (2.0 * week) / HOURS_PER_DAY


def queue_days(service_days: float, load_t: float, capacity_t: float, background: float = 0.0) -> float:
    """Days a consignment spends in an M/M/1 lane: its service ``(1 + rho / (1 - rho))`` at
    utilisation ``rho`` = background share + load / capacity; the load beyond the month's
    capacity adds the days until it is cleared. Infinite for a lane without capacity."""
    if capacity_t <= 0.0:
        return np.inf
    free = capacity_t * (1.0 - background)
    rho = min(background + min(load_t, free) / capacity_t, MAX_UTILISATION)
    overflow = max(load_t - free, 0.0) / free * DAYS_PER_MONTH if free > 0.0 else np.inf
    return service_days * (1.0 + rho / (1.0 - rho)) + overflow


@actor_kind("customs")
class Customs(mesa.Agent):
    def __init__(self, model, crossing: int, row):
        super().__init__(model)
        self.crossing = crossing
        self.crossing_id = row.crossing_id
        self.economies = (row.economy_a, row.economy_b)
        self.capacity_t_month = float(row.capacity_t_month)
        params = model.params
        #: per shipment class: documentary days at the post and EUR/t in fees and paperwork (a
        #: waste shipment also waits for consent, :meth:`consent_days`)
        self.delay_days = np.array([params["border_delay_days"][s] for s in STATUSES], dtype=float)
        self.fee_eur_t = np.array([params["border_fee_eur_t"][s] for s in STATUSES], dtype=float)
        self.fee_eur_t[WASTE] += params["waste_notification_cost_eur_t"]
        #: share of consignments physically inspected, per class: waste is checked against its
        #: notification, goods at the post's risk-based rate
        self.inspection_rate = np.full(len(STATUSES), float(row.inspection_rate))
        self.inspection_rate[WASTE] = max(self.inspection_rate[WASTE], float(params["waste_inspection_rate"]))
        #: competent authorities whose consent a waste shipment through this post needs
        self.authorities = [model.regulators[model.economy_index[e]] for e in self.economies]
        #: days the authorities have to decide on a notification through this post
        self.decision_deadline_days = DECISION_DEADLINE_DAYS
        self.refusal_probability = float(params["waste_refusal_probability"])
        self.inspection_days = float(params["inspection_days"])
        self.clearance_days = float(params["border_clearance_days"])
        #: share of the post's capacity the crossing's other freight uses (not modelled as shipments)
        self.background_utilisation = float(params["border_background_utilisation"])
        #: the waste desk: tonnes a month its inspectors can check (0 at a post not designated
        #: for waste), the inspector time per consignment and the wait until it opens, days
        offices = check_offices(model)
        hours = float(params["waste_desk_hours_month"])
        check_hours = float(params["waste_check_hours"])
        designated = self.crossing_id in offices
        self.waste_capacity_t_month = (hours / check_hours * float(params["consignment_t"])
                                       if designated and check_hours > 0 else 0.0)
        self.waste_check_days = check_hours / HOURS_PER_DAY
        self.waste_open_share = min(hours / (DAYS_PER_MONTH * HOURS_PER_DAY), 1.0)
        self.waste_opening_days = opening_wait_days(hours) if hours > 0 else np.inf
        #: [shipment id, buyer, material, tonnes left, shipment class]; the last ``new`` entries
        #: were filed this month
        self.queue: deque[list] = deque()
        self.new = 0
        self.backlog_t = 0.0
        self.waste_backlog_t = 0.0
        #: waste tonnes filed this month so far, and expected this month (last month's)
        self.waste_filed_t = 0.0
        self.waste_expected_t = 0.0
        self.cleared_t = 0.0
        self.filings = np.zeros(len(STATUSES), dtype=np.int64)
        self.refusals = 0

    @property
    def free_capacity_t_month(self) -> float:
        """Tonnes a month the post can clear of the modelled shipments, besides its other traffic."""
        return self.capacity_t_month * (1.0 - self.background_utilisation)

    @property
    def waste_desk_capacity_t_month(self) -> float:
        """Tonnes of notified waste a month the waste desk can check; none while the post is closed."""
        return self.waste_capacity_t_month if self.free_capacity_t_month > 0.0 else 0.0

    def waiting_days(self) -> float:
        """Expected wait in the lane queue of a consignment filed now, days: at utilisation
        ``rho`` (the other traffic plus the freight filed ahead of it) it waits ``rho / (1 - rho)``
        clearance times (M/M/1); freight ahead of it beyond this month's capacity adds the days
        until it is cleared. Infinite when the post is closed."""
        if self.free_capacity_t_month <= 0.0:
            return np.inf
        return queue_days(self.clearance_days, self.backlog_t, self.capacity_t_month, self.background_utilisation)

    def waste_desk_days(self, load_t: float | None = None) -> float:
        """Expected days at the waste desk of a notified consignment filed now: the wait until
        the desk opens plus its check in a queue of ``load_t`` tonnes this month (by default the
        waste carried over plus what is expected this month), the check's queue time counted in
        the desk's open hours only. Infinite at a post not designated for waste."""
        if load_t is None:
            load_t = self.waste_backlog_t + max(self.waste_expected_t, self.waste_filed_t)
        queue = queue_days(self.waste_check_days, load_t, self.waste_desk_capacity_t_month)
        return self.waste_opening_days + queue / self.waste_open_share if math.isfinite(queue) else np.inf

    def time_at_post_days(self, waste_load_t: float | None = None) -> np.ndarray:
        """Expected days a consignment of each class spends at this post: the expected
        inspection, the lane queue and, for notified waste, the waste desk."""
        days = self.inspection_rate * self.inspection_days + self.waiting_days()
        days[WASTE] += self.waste_desk_days(waste_load_t)
        return days

    def consent_days(self) -> float:
        """Days a waste shipment filed now waits for notification and consent: the slower of the
        two authorities under the post's decision deadline."""
        return max([authority.consent_days(self.decision_deadline_days) for authority in self.authorities])

    def documentary_days(self) -> np.ndarray:
        """float[class]: paperwork days per shipment class, consent included for waste."""
        days = self.delay_days.copy()
        days[WASTE] += self.consent_days()
        return days

    def crossing_days(self, shipment_class: int) -> float:
        """Days a consignment of the class filed now spends crossing: paperwork (and consent) and
        its time at the post (one class of ``documentary_days() + time_at_post_days()``, summed
        in the same order: it is asked for every shipment filed)."""
        at_post = self.inspection_rate[shipment_class] * self.inspection_days + self.waiting_days()
        paperwork = self.delay_days[shipment_class]
        if shipment_class == WASTE:
            at_post += self.waste_desk_days()
            paperwork += self.consent_days()
        return paperwork + at_post

    def file(self, shipment: int, buyer: int, material: int, tonnes: float, shipment_class: int) -> bool:
        """Lodge a shipment; a waste shipment may be refused consent. Returns True if accepted."""
        self.filings[shipment_class] += 1
        if shipment_class == WASTE:
            for authority in self.authorities:
                authority.receive_notification()
        if shipment_class == WASTE and self.model.random.random() < self.refusal_probability:
            self.refusals += 1
            return False
        self.queue.append([shipment, buyer, material, tonnes, shipment_class])
        self.new += 1
        self.backlog_t += tonnes
        if shipment_class == WASTE:
            self.waste_filed_t += tonnes
        return True

    def step(self) -> None:
        """Clear the queue first come, first served in each lane (the waste desk for notified
        waste, the lane the crossing's other traffic leaves for the rest), up to this month's
        capacity; of this month's filings the share still at the post at the month's end (time
        at the post over the month's days) waits for the next month. What is cleared reaches
        the buyers in one delivery."""
        carried = len(self.queue) - self.new
        if self.new:
            # share of each class's new filings cleared this month, kept as numpy floats: the
            # built-in sum of the backlog below adds Python floats with compensation but numpy
            # floats plainly, so their type decides the backlog's last bit
            passed = 1.0 - np.minimum(self.time_at_post_days(self.waste_backlog_t + self.waste_filed_t)
                                      / DAYS_PER_MONTH, 1.0)
        budget = {False: self.free_capacity_t_month, True: self.waste_desk_capacity_t_month}
        cleared_t = 0.0
        cleared: list[tuple] = []
        waiting: deque[list] = deque()
        for k, entry in enumerate(self.queue):
            waste = entry[4] == WASTE
            due = entry[3] if k < carried else entry[3] * passed[entry[4]]
            take = min(due, max(budget[waste], 0.0))
            if take > 0.0:
                budget[waste] -= take
                entry[3] -= take
                cleared_t += take
                cleared.append((entry[0], entry[1], entry[2], take))
            if entry[3] > 0.0:
                waiting.append(entry)
        self.cleared_t = cleared_t
        if cleared:
            self.model.market.deliver(*(np.array(column) for column in zip(*cleared)))
        self.queue = waiting
        self.new = 0
        self.backlog_t = sum(entry[3] for entry in self.queue)
        self.waste_backlog_t = sum(entry[3] for entry in self.queue if entry[4] == WASTE)
        self.waste_expected_t = self.waste_filed_t
        self.waste_filed_t = 0.0

    def reset_month(self) -> None:
        self.filings[:] = 0
        self.refusals = 0


def crossing_costs(posts: list[Customs], holding_cost_eur_t_day: float) -> np.ndarray:
    """float[class, post]: EUR/t to pass each post for each shipment class (fees plus time at
    holding cost), as traders expect it when they plan: at the load the posts carry before the
    month's filings. The arithmetic of ``fee + (documentary_days() + time_at_post_days()) *
    holding`` post by post, done for all posts at once."""

    def per_class(values) -> np.ndarray:
        return np.array([values(post) for post in posts], dtype=float).reshape(len(posts), len(STATUSES))

    def per_post(value) -> np.ndarray:
        return np.array([value(post) for post in posts], dtype=float)

    at_post = (per_class(lambda post: post.inspection_rate) * per_post(lambda post: post.inspection_days)[:, None]
               + per_post(lambda post: post.waiting_days())[:, None])
    at_post[:, WASTE] += per_post(lambda post: post.waste_desk_days())
    paperwork = per_class(lambda post: post.documentary_days())
    return (per_class(lambda post: post.fee_eur_t) + (paperwork + at_post) * holding_cost_eur_t_day).T.copy()


def check_offices(model) -> set[str]:
    """The crossings designated for waste (``waste_customs_offices``), checked against the
    scenario's crossings."""
    offices = model.params["waste_customs_offices"]
    known = set(model.region.borders["crossing_id"])
    for office in offices:
        if office not in known:
            raise ConfigError("parameters.waste_customs_offices", f"unknown crossing {office!r}",
                              choices=known, value=office)
    return set(offices)
