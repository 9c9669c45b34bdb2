"""The actors of the model, one per module."""

from sim.agents.customs import Customs
from sim.agents.financier import Financier
from sim.agents.firm import Firm
from sim.agents.platform import Platform
from sim.agents.pro import PRO
from sim.agents.regulator import Regulator

__all__ = ["PRO", "Customs", "Financier", "Firm", "Platform", "Regulator"]
