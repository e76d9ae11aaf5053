"""The plasticity rule catalogue: one module per rule family, each holding its frozen
parameter dataclass (equations, units and paper in the docstring) and the small numba
functions the kernel's step loop calls.

=========================  ==============================================================
rule                       reference
=========================  ==============================================================
:class:`STDPParams`        pair STDP, additive or Gütig soft bounds (Bi & Poo 1998; Song,
                           Miller & Abbott 2000; Gütig et al. 2003), pairing schemes
                           all-to-all, nearest symmetric, presynaptic-centred, restricted
                           (Morrison, Diesmann & Gerstner 2008)
:class:`PowerLawSTDP`      power-law weight dependence (Morrison, Aertsen & Diesmann 2007)
:class:`RewardSTDP`        reward-modulated STDP: eligibility trace and dopamine,
                           dw/dt = c (d - b) (Izhikevich 2007; NEST stdp_dopamine_synapse)
=========================  ==============================================================
"""

from .pair import PAIRINGS, SAME_STEPS, PlasticityRule, PowerLawSTDP, STDPParams
from .reward import RewardSTDP

RULES = (STDPParams, PowerLawSTDP, RewardSTDP)

__all__ = ["PlasticityRule", "STDPParams", "PowerLawSTDP", "RewardSTDP", "RULES", "PAIRINGS",
           "SAME_STEPS"]
