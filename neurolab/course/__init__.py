"""The course: live explorers, slider widgets and the exercise checks of the lessons.

``explorer`` (``neuron_explorer``, ``stdp_explorer``: figures redrawn in place while a
slider moves), ``widgets`` (simple slider explorers), ``exercises`` (checks that say right,
or wrong and why).

Room: ``neurolab.course``, just below ``cli``. May import: the package (``import
neurolab``) and every room below it; ipywidgets and ipympl where an explorer is made.
"""
