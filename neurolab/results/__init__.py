"""What a run gives back: ``SimResult`` and its records, saved, loaded and exported.

``records``: :class:`~neurolab.SimResult`, ``SpikeRecord``, ``WeightRecord``,
``StateRecord``, ``load_run``, ``weight_matrix``, ``assert_same``.
``nwb``, ``neoblock``, ``sonata``: the exporters behind ``SimResult.to_nwb``, ``to_neo`` and
``to_sonata`` (pynwb, neo and h5py, the ``export`` extra, imported only when called).

Room: ``neurolab.results``. May import: numpy and ``neurolab.base``.
"""
