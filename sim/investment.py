"""Investment projects firms weigh by net present value at the rate they can borrow at, and the
pipeline that screens, finances, permits and commissions them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from sim.kernels import staged_value
from sim.state import MONTHS_PER_YEAR

#: materials held in deposits a re-mining plant can reprocess
STOCK_MATERIALS = ("tailings", "slag", "red_mud", "fly_ash", "bottom_ash")
RECYCLING_LINE_YEARS = 10


def annuity_factor(rate: float, years: int) -> float:
    """Present value of 1 a year for ``years`` years at ``rate`` (``years`` when the rate is not positive)."""
    return years if rate <= 0 else (1.0 - (1.0 + rate) ** -years) / rate


def grant_equivalent_eur(capex_eur: float, grant_eur: float, base_rate: float, rate: float, years: int) -> float:
    """Public support at grant equivalent, EUR: the grant plus the grant element of the loans
    (face value less the present value of their repayments at the commercial rate; OECD DAC
    grant element). ``capex_eur`` includes safeguards; loans finance what the grant does not."""
    loans = max(capex_eur - grant_eur, 0.0)
    return grant_eur + loans * max(1.0 - annuity_factor(base_rate, years) / annuity_factor(rate, years), 0.0)


@dataclass(frozen=True)
class Project:
    kind: str                # "remining" or "recycling_line"
    firm: int                # firm row
    materials: tuple         # material indices the plant treats
    capacity_t_yr: float     # t/yr treated
    capex_eur: float
    annual_margin_eur: float  # revenue less operating cost, EUR/yr
    lifetime_years: int
    crm_output: bool          # recovers critical raw materials
    esg_risk: float = 0.0     # environmental and social risk index in [0, 1] (a financier's ESG screen reads it)
    annual_revenue_eur: float = 0.0  # metal revenue at the expected grade, EUR/yr (re-mining)
    #: log standard deviation of the grade investors do not know yet (0: known)
    grade_uncertainty: float = 0.0
    exploration_eur: float = 0.0     # cost of the exploration that resolves the grade
    exploration_months: int = 0
    #: monthly chance that the plant's permit is refused (social licence), without safeguards
    refusal_per_month: float = 0.0
    #: chance the plant keeps its social licence through its permitting, without safeguards
    permit_odds: float = 1.0

    def npv(self, terms: "FinancingTerms"):
        """Net present value on ``terms``: of the plant, or, for a deposit whose grade is not
        known, of the better of building on the expected grade and exploring first
        (``staged_npv``). The fields may be arrays (then so is the value)."""
        plant = self.plant_npv(terms)
        return np.maximum(plant, self.staged_npv(terms)) if np.any(self.grade_uncertainty) else plant

    def plant_npv(self, terms: "FinancingTerms"):
        """Net present value of building the plant now, at the grade investors expect."""
        annuity = annuity_factor(terms.rate, self.lifetime_years)
        margin = self.annual_margin_eur + terms.revenue_support_eur_yr
        return -(self.capex_eur + terms.safeguards_eur - terms.grant_eur) + margin * annuity

    def staged_npv(self, terms: "FinancingTerms"):
        """Net present value of exploring first: the exploration's cost, then, ``exploration_months``
        later, the plant if the grade found makes it pay (``sim.kernels.staged_value``) and its permit
        is granted (``permit_odds``; nothing is spent on a plant refused); minus infinity where the
        grade is known."""
        r = terms.rate
        slope = np.asarray(self.annual_revenue_eur, dtype=float) * annuity_factor(r, self.lifetime_years)
        slope, intercept, uncertainty = (np.atleast_1d(np.array(x, dtype=float)) for x in np.broadcast_arrays(
            slope, slope - self.plant_npv(terms), self.grade_uncertainty))
        later = (1.0 + r) ** (-np.asarray(self.exploration_months) / MONTHS_PER_YEAR)
        option = staged_value(slope, intercept, uncertainty) * later * self.permit_odds
        staged = np.where(uncertainty > 0.0, option - self.exploration_eur, -np.inf)
        return staged if np.ndim(self.grade_uncertainty) or np.ndim(self.capex_eur) else float(staged[0])

    def explores(self, terms: "FinancingTerms") -> bool:
        """Whether going ahead on ``terms`` means exploring the deposit first (worth more than
        building on the expected grade)."""
        return bool(self.grade_uncertainty > 0.0 and self.staged_npv(terms) > self.plant_npv(terms))


@dataclass(frozen=True)
class FinancingTerms:
    rate: float                  # annual discount rate the firm faces
    grant_eur: float = 0.0       # capital grant
    guarantee_eur: float = 0.0   # public guarantee on the loan
    concessional_eur: float = 0.0  # public concessional lending
    safeguards_eur: float = 0.0  # extra capex an instrument's conditions require (ESG safeguards)
    revenue_support_eur_yr: float = 0.0  # public top-up of the annual margin (e.g. an offtake premium)
    #: share by which the safeguards an instrument requires cut the plant's social-licence hazard
    esg_risk_cut: float = 0.0
    #: public money committed to the project, (instrument name, EUR) in the order the instruments were asked
    public_by_instrument: tuple[tuple[str, float], ...] = ()

    @property
    def public_eur(self) -> float:
        """Public money of every instrument together (guarantees at face value)."""
        return sum((eur for _, eur in self.public_by_instrument), 0.0)

    def public_of(self, instrument: str) -> float:
        return sum((eur for name, eur in self.public_by_instrument if name == instrument), 0.0)

    def supported(self, instrument: str, public_eur: float, **changes) -> "FinancingTerms":
        """These terms with ``changes`` made by ``instrument``, which commits ``public_eur`` to them."""
        return replace(self, public_by_instrument=self.public_by_instrument + ((instrument, public_eur),), **changes)


def pays(figures: dict[str, np.ndarray], years: int, rate: np.ndarray) -> np.ndarray:
    """Whether projects of ``years`` with the given figures (``Project`` fields, one array each,
    capex and annual margin among them) have a positive net present value at ``rate`` as
    ``Project.npv`` reckons it, judged with a margin for rounding."""
    rate = np.asarray(rate, dtype=float)
    fields = {name: np.broadcast_to(np.asarray(value), rate.shape) for name, value in figures.items()}
    capex, margin = fields["capex_eur"], fields["annual_margin_eur"]
    positive = np.zeros(rate.shape, dtype=bool)
    for r in np.unique(rate):
        at = rate == r
        project = Project("", -1, (), 0.0, lifetime_years=years, crm_output=False,
                          **{name: value[at] for name, value in fields.items()})
        npv = project.npv(FinancingTerms(rate=float(r)))
        positive[at] = npv > -1e-9 * (np.abs(capex[at]) + np.abs(margin[at]) * years + 1.0)
    return positive


class InvestmentPipeline:
    """The road of a firm's project from idea to plant: which firms have projects worth weighing
    (screening), what each project is (figures), on what terms it can be financed, and the plant's
    permitting, construction and commissioning. Firms decide whether to go ahead."""

    def __init__(self, model):
        self.model = model
        #: one record per project a firm went ahead with (the investments table)
        self.records: list[dict] = []
        #: (month ready, project, its record) of the plants and explorations under way
        self.plants_under_way: list[tuple[int, Project, dict]] = []
        #: one record per re-mining plant whose permit was refused: step, firm, kind
        self.refused: list[dict] = []
        #: (kind, materials) of the plants each firm has under way, by firm row
        self.building: dict[int, set[tuple]] = {}
        self._stock_columns = [model.material_index[m] for m in STOCK_MATERIALS if m in model.material_index]

    # ---- screening ------------------------------------------------------------------------
    def prospects(self) -> tuple[np.ndarray, np.ndarray]:
        """bool[F] each: firms worth asking to weigh a re-mining plant, and firms worth asking to
        weigh recycling lines. Some project of the kind passes the tests of ``options_of`` (plants
        under way aside) and pays at the firm's hurdle rate (judged with a margin for rounding, so
        that every firm that would invest is asked). Where a financial instrument is running, any
        project may pay on the terms it offers: every firm with a project of the kind is asked."""
        model = self.model
        firms, p = model.firms, model.params
        remining, line_firms, line_materials = self._candidates()
        if not model.instruments:
            hurdle_rate = np.array([r.hurdle_rate for r in model.regulators])
            remining = remining[pays(self._remining_figures(remining)[1], int(p["remining_lifetime_years"]),
                                     hurdle_rate[firms.economy[remining]])]
            _, capex, margin = self._line_figures(line_firms, line_materials)
            line_firms = line_firms[pays({"capex_eur": capex, "annual_margin_eur": margin},
                                         RECYCLING_LINE_YEARS, hurdle_rate[firms.economy[line_firms]])]
        remining_prospects = np.zeros(firms.n_firms, dtype=bool)
        remining_prospects[remining] = True
        line_prospects = np.zeros(firms.n_firms, dtype=bool)
        line_prospects[line_firms] = True
        return remining_prospects, line_prospects

    def _candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of the firms that could build a re-mining plant (their deposits hold recoverable
        metals and they run none), and the (firm row, material) of each stream taken in at 90 %
        of capacity or more, which a recycling line would expand; firm by firm, materials in
        order. Plants under way are not looked at. (Few firms pass: the tests on all firms are
        the cheap and selective ones.)"""
        model = self.model
        firms = model.firms
        remining = np.flatnonzero(model.remining_revenue_eur_t > 0)
        remining = remining[(firms.stock[remining][:, self._stock_columns].sum(axis=1) > 0)
                            & (firms.remining_t_month[remining].sum(axis=1) == 0)]
        near_capacity = np.flatnonzero(firms.utilisation >= 0.9)
        line_firms, line_materials = np.divmod(near_capacity[firms.capacity.take(near_capacity) > 0], model.n_materials)
        return remining, line_firms, line_materials

    def _remining_figures(self, f) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Throughput (t/yr) of the re-mining plant of firm row(s) ``f``, and its figures as
        investors see them (``Project`` fields): capex, annual revenue and margin at the grade they
        believe, the grade uncertainty left and the exploration that would resolve it."""
        model = self.model
        p, deposits = model.params, model.deposits
        throughput = model.firms.stock[f][..., self._stock_columns].sum(axis=-1) * p["remining_throughput_share_per_year"]
        revenue = model.offtake.revenue_eur_t(f) * deposits.believed_share(f) * throughput
        return throughput, {
            "esg_risk": deposits.esg_risk[f], "refusal_per_month": deposits.refusal_per_month[f],
            "permit_odds": deposits.permit_odds(f, int(p["permitting_extraction_months"])),
            "capex_eur": p["remining_capex_eur_per_t_yr"] * throughput, "annual_revenue_eur": revenue,
            "annual_margin_eur": revenue - deposits.cost_eur_t(f) * throughput,
            "grade_uncertainty": deposits.uncertainty_left(f),
            "exploration_eur": np.full(np.shape(f), deposits.exploration_cost_eur),
            "exploration_months": np.full(np.shape(f), deposits.exploration_months),
        }

    def _line_figures(self, rows, materials):
        """Added capacity (t/yr), capex and annual margin (EUR) of recycling lines expanding the
        intake of firm rows ``rows`` of ``materials``; an exporter under CBAM also saves
        certificates on each added tonne, at this month's price (``CarbonBorder.premium``)."""
        model = self.model
        p = model.params
        added = 0.5 * model.firms.capacity[rows, materials] * MONTHS_PER_YEAR
        margin_eur_t = p["recycling_line_margin_eur_t"] * model.price_multiplier + model.cbam.premium[rows, materials]
        return added, p["recycling_line_capex_eur_per_t_yr"] * added, margin_eur_t * added

    def options_of(self, remining_rows: np.ndarray, line_rows: np.ndarray) -> dict[int, list[Project]]:
        """The projects the firms could start, figured for all of them at once (see
        ``_candidates``), none of a kind (and stream) it has under way: the re-mining plants of
        the firms ``remining_rows`` and the recycling lines of the firms ``line_rows``; a firm's
        re-mining plant first, then its recycling lines by material. Every firm asked has an
        entry (empty if it has no project)."""
        model = self.model
        firms, p = model.firms, model.params
        options: dict[int, list[Project]] = {f: [] for f in np.union1d(remining_rows, line_rows).tolist()}
        asked = np.zeros(firms.n_firms, dtype=bool)
        asked[remining_rows] = True
        remining, line_firms, line_materials = self._candidates()
        remining = remining[asked[remining]]
        asked[:] = False
        asked[line_rows] = True
        stock_cols = self._stock_columns
        throughput, figures = self._remining_figures(remining)
        holds = (firms.stock[remining][:, stock_cols] > 0).tolist()
        crm_output = np.zeros(len(remining), dtype=bool)
        for metal in model.crm_metals:
            crm_output |= model.remining_yield[metal][remining] > 0
        for i, f in enumerate(remining.tolist()):
            if not any(kind == "remining" for kind, _ in self.building.get(f, ())):
                options[f].append(Project(
                    "remining", f, tuple(c for c, held in zip(stock_cols, holds[i]) if held), throughput[i],
                    lifetime_years=int(p["remining_lifetime_years"]), crm_output=bool(crm_output[i]),
                    **{name: value[i].item() for name, value in figures.items()},
                ))
        line_asked = asked[line_firms]
        line_firms, line_materials = line_firms[line_asked], line_materials[line_asked]
        added, capex, margin = self._line_figures(line_firms, line_materials)
        for i, (f, m) in enumerate(zip(line_firms.tolist(), line_materials.tolist())):
            if ("recycling_line", (m,)) not in self.building.get(f, ()):
                options[f].append(Project("recycling_line", f, (m,), added[i], capex[i], margin[i],
                                          RECYCLING_LINE_YEARS, crm_output=False))
        return options

    # ---- financing -------------------------------------------------------------------------
    def financing_terms(self, firm, project: Project) -> FinancingTerms:
        """What the firm can borrow at, its economy's hurdle rate plus, for re-mining, the metal
        price risk premium that offtake agreements lift (``CrmOfftake``), improved by each financial
        instrument running, in the order they started (see sim/agents/instrument.py). A deposit the
        firm would explore first on those terms it explores at its own expense, at that rate."""
        terms = FinancingTerms(rate=firm.regulator.hurdle_rate + self.model.offtake.risk_premium(project))
        if project.explores(terms):
            return terms
        for instrument in self.model.instruments:
            terms = instrument.terms(firm, project, terms)
        return terms

    def invest(self, firm, project: Project, terms: FinancingTerms) -> None:
        """The firm goes ahead: each instrument books its support, the plant is permitted and built
        (or, for a deposit still to be explored, the exploration starts: its grade is known when it ends).
        A plant's social-licence hazard is cut by the safeguards its terms require."""
        model = self.model
        for instrument in model.instruments:
            instrument.commit(project, terms)
        exploring = project.explores(terms)
        permit = "permitting_extraction_months" if project.kind == "remining" else "permitting_recycling_months"
        months = project.exploration_months if exploring else int(model.params[permit])
        under_way = project if exploring else replace(
            project, grade_uncertainty=0.0, refusal_per_month=project.refusal_per_month * (1.0 - terms.esg_risk_cut))
        self._mark_building(project)
        capex = project.exploration_eur if exploring else project.capex_eur + terms.safeguards_eur
        private = capex - terms.grant_eur - terms.concessional_eur
        supported = terms.public_eur > 0.0
        self.records.append({
            "step": model.month, "firm": firm.firm_id, "kind": "exploration" if exploring else project.kind,
            "capex_eur": capex,
            "public_eur": terms.public_eur, "grant_eur": terms.grant_eur,
            "private_eur": private, "crm_output": project.crm_output,
            # leverage counts the private money of supported projects only, against public money
            # at grant equivalent (guarantees and loans are not grants)
            "private_cofinance_eur": private if supported else 0.0,
            "grant_equivalent_eur": grant_equivalent_eur(capex, terms.grant_eur, firm.regulator.hurdle_rate,
                                                         terms.rate, project.lifetime_years) if supported else 0.0,
            "public_by_instrument": terms.public_by_instrument,
        })
        self.plants_under_way.append((model.month + months, under_way, self.records[-1]))

    def public_funds_frame(self) -> pd.DataFrame:
        """The public-funds KPI by instrument, one row per month from the instrument's start:
        ``step, instrument, budget_eur``, and to the end of the month ``public_funds_eur`` it
        committed and ``projects_supported``."""
        rows = []
        for instrument in self.model.instruments:
            own = np.zeros(self.model.month)
            supported = np.zeros(self.model.month, dtype=np.int64)
            for record in self.records:
                eur = dict(record["public_by_instrument"]).get(instrument.name, 0.0)
                own[record["step"]] += eur
                supported[record["step"]] += eur > 0.0
            for step in range(instrument.start_month, self.model.month):
                rows.append((step, instrument.name, instrument.budget_eur, float(own[:step + 1].sum()),
                             int(supported[:step + 1].sum())))
        return pd.DataFrame(rows, columns=["step", "instrument", "budget_eur", "public_funds_eur", "projects_supported"])

    # ---- commissioning ---------------------------------------------------------------------
    def commission_plants(self) -> None:
        """Plants whose permits and construction are done start operating this month; explorations
        that are done make their deposit's grade known. Each month of its permitting a re-mining
        plant may lose its social licence (``Deposits.refusals``): it is not built, its record
        leaves the investments and the instruments' money for it is released."""
        model = self.model
        firms, waiting = model.firms, []
        refused = model.deposits.refusals(model.month, [project.firm for _, project, _ in self.plants_under_way],
                                          np.array([project.refusal_per_month for _, project, _ in self.plants_under_way]))
        for (ready, project, record), refuse in zip(self.plants_under_way, refused.tolist()):
            if refuse:
                self._refuse(record)
            elif ready > model.month:
                waiting.append((ready, project, record))
            elif project.grade_uncertainty > 0.0:  # an exploration
                model.deposits.explored[project.firm] = True
            elif project.kind == "remining":
                cols = list(project.materials)
                share = firms.stock[project.firm, cols] / max(firms.stock[project.firm, cols].sum(), 1e-12)
                firms.remining_t_month[project.firm, cols] = project.capacity_t_yr / MONTHS_PER_YEAR * share
            else:
                firms.capacity[project.firm, project.materials[0]] += project.capacity_t_yr / MONTHS_PER_YEAR
        self.plants_under_way = waiting
        self.building = {}
        for _, project, _ in waiting:
            self._mark_building(project)

    def _refuse(self, record: dict) -> None:
        del self.records[next(i for i, r in enumerate(self.records) if r is record)]
        for instrument in self.model.instruments:
            instrument.release(record)
        self.refused.append({"step": self.model.month, "firm": record["firm"], "kind": record["kind"]})

    def _mark_building(self, project: Project) -> None:
        self.building.setdefault(project.firm, set()).add((project.kind, project.materials))
