"""The actors of the model, one per module."""

from sim.agents.customs import Customs
from sim.agents.firm import Firm
from sim.agents.pro import PRO
from sim.agents.regulator import Regulator
from sim.agents.treatment import TreatmentPlants

__all__ = ["PRO", "Customs", "Firm", "Regulator", "TreatmentPlants"]
