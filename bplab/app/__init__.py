"""Delivery, apart from the math: how the course reaches the learner.

This subpackage holds the ``bplab`` command line (:mod:`bplab.app.cli`), the JupyterLab launcher
(:mod:`bplab.app.lab`), the environment doctor (:mod:`bplab.app.doctor`), and finding the shipped
course (:mod:`bplab.app.course`) and copying it into a learner's folder with its manifest
(:mod:`bplab.app.course_copy`, with :mod:`bplab.app.manifest` and :mod:`bplab.app.safe_files`),
the nbgitpuller link for a JupyterHub (:mod:`bplab.app.hub_link`), the static HTML edition
(:mod:`bplab.app.export`, with :mod:`bplab.app.static_outputs` for figures and explorers), and the
commands that hints print (:mod:`bplab.app.hints`). It imports the standard library only at import time; the few
things it needs from the rest of bplab (the version) or from Jupyter are imported inside functions.
"""
