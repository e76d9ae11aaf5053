"""Helpers for reproducing particular papers.

``masquelier`` (Masquelier, Guyonneau & Thorpe 2008: the spike response model mapped to a
LIF neuron, pattern trials), ``protocols`` (imposed spike pairs, image presentation as
in Diehl & Cook 2015) and ``diehl_cook`` (Diehl & Cook 2015 on MNIST: a presentation loop
of its own, many digits per kernel call, equal to the general engine step for step) and
``izhikevich2007`` (Izhikevich 2007: the closed loop of ``daspnet.m``, rewards decided from
the network's own spikes between runs), ``firing_patterns`` (the Izhikevich 2003 and
Naud et al. 2008 presets under their published step currents) and ``clopath2010`` (Clopath
et al. 2010, Fig. 4: connectivity under rate and temporal codes).

Room: ``neurolab.papers``. May import: ``neurolab.base``, ``neurolab.model``,
``neurolab.stimuli`` and ``neurolab.analysis``.
"""
