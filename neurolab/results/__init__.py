"""What a run gives back: ``SimResult`` and its records, saved and loaded.

``records``: :class:`~neurolab.SimResult`, ``SpikeRecord``, ``WeightRecord``,
``StateRecord``, ``load_run``, ``weight_matrix``, ``assert_same``.

Room: ``neurolab.results``. May import: numpy and ``neurolab.base``.
"""
