"""What a user describes: the network, its populations, projections and inputs.

``network`` (:class:`~neurolab.Network`), ``populations``, ``projections``,
``connectivity`` (connection rules, ``estimate_synapses``), ``sources`` (``PoissonInput``,
currents), ``params`` (``LIFParams``), ``distributions`` (per-neuron and per-synapse values
drawn from the seed). No numba here.

Room: ``neurolab.model``. May import: ``neurolab.base``, ``neurolab.plasticity``,
``neurolab.results`` and ``neurolab.engine`` (``Network.run`` hands the network to it).
"""
