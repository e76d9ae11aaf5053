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
=========================  ==============================================================
"""

from .pair import PAIRINGS, SAME_STEPS, PlasticityRule, PowerLawSTDP, STDPParams

RULES = (STDPParams, PowerLawSTDP)

__all__ = ["PlasticityRule", "STDPParams", "PowerLawSTDP", "RULES", "PAIRINGS", "SAME_STEPS"]
