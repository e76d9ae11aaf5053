"""Helpers for reproducing particular papers.

``masquelier`` (Masquelier, Guyonneau & Thorpe 2008: the spike response model mapped to a
LIF neuron, pattern trials) and ``protocols`` (imposed spike pairs, image presentation as
in Diehl & Cook 2015).

Room: ``neurolab.papers``. May import: ``neurolab.base``, ``neurolab.model``,
``neurolab.stimuli`` and ``neurolab.analysis``.
"""
