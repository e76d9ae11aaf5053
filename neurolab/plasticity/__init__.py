"""The plasticity rule catalogue: one module per rule family, each holding its frozen
parameter dataclass (equations, units and paper in the docstring) and the small numba
functions the kernel's step loop calls.

===========================  ==============================================================
rule                         reference
===========================  ==============================================================
:class:`STDPParams`          pair STDP, additive or Gütig soft bounds (Bi & Poo 1998; Song,
                             Miller & Abbott 2000; Gütig et al. 2003), pairing schemes
                             all-to-all, nearest symmetric, presynaptic-centred, restricted
                             (Morrison, Diesmann & Gerstner 2008)
:class:`PowerLawSTDP`        power-law weight dependence (Morrison, Aertsen & Diesmann 2007)
:class:`TripletSTDP`         triplet rule, all-to-all or nearest-spike, published fits as
                             presets (Pfister & Gerstner 2006; NEST stdp_triplet_synapse)
:class:`VogelsSTDP`          inhibitory STDP: symmetric window, constant depression per
                             presynaptic spike, target rate rho_0 (Vogels, Sprekeler, Zenke,
                             Clopath & Gerstner 2011; NEST vogels_sprekeler_synapse)
:class:`RewardSTDP`          reward-modulated STDP: eligibility trace and dopamine,
                             dw/dt = c (d - b) (Izhikevich 2007; NEST stdp_dopamine_synapse)
:class:`ClopathSTDP`         voltage-based STDP: LTD at presynaptic spikes from the filtered
                             postsynaptic v, continuous LTP (Clopath et al. 2010; NEST
                             clopath_synapse)
===========================  ==============================================================

Homeostasis (:mod:`neurolab.plasticity.homeostasis`), for competitive learning:

===========================  ==============================================================
mechanism                    reference
===========================  ==============================================================
:class:`AdaptiveThreshold`   per LIF population: spike at ``v > v_th + theta``, ``theta``
                             jumps by ``theta_plus`` per spike, decays with ``tau_theta``
                             (Diehl & Cook 2015); ``Network.add_lif(..., threshold=)``
:class:`Normalization`       per plastic projection: each neuron's incoming weights scaled
                             to sum to ``target`` every ``every`` ms (Diehl & Cook 2015);
                             ``Network.connect(..., normalize=)``
===========================  ==============================================================

Room: ``neurolab.plasticity``, one module per rule family. May import: numpy, numba and
``neurolab.base``.
"""

from .clopath import ClopathSTDP
from .homeostasis import AdaptiveThreshold, Normalization
from .inhibitory import VogelsSTDP
from .pair import PAIRINGS, SAME_STEPS, PlasticityRule, PowerLawSTDP, STDPParams
from .reward import RewardSTDP
from .triplet import TripletSTDP

RULES = (STDPParams, PowerLawSTDP, TripletSTDP, VogelsSTDP, RewardSTDP, ClopathSTDP)
HOMEOSTASIS = (AdaptiveThreshold, Normalization)

__all__ = ["PlasticityRule", "STDPParams", "PowerLawSTDP", "TripletSTDP", "VogelsSTDP",
           "RewardSTDP", "ClopathSTDP", "RULES", "PAIRINGS", "SAME_STEPS", "AdaptiveThreshold",
           "Normalization", "HOMEOSTASIS"]
