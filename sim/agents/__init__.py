"""The actors of the model, one per module."""

from sim.agents.broker import Broker
from sim.agents.chamber import Chamber
from sim.agents.customs import Customs
from sim.agents.eco_park import ParkCoordinator
from sim.agents.financier import Financier
from sim.agents.firm import Firm
from sim.agents.mapping import MappingTaskForce
from sim.agents.municipality import Municipality
from sim.agents.platform import Platform
from sim.agents.pro import PRO
from sim.agents.regulator import Regulator
from sim.agents.treatment import TreatmentPlants
from sim.agents.working_group import WorkingGroup

__all__ = ["PRO", "Broker", "Chamber", "Customs", "Financier", "Firm", "MappingTaskForce", "Municipality",
           "ParkCoordinator", "Platform", "Regulator", "TreatmentPlants", "WorkingGroup"]
