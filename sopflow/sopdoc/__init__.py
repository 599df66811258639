"""The SOP document (Permenpan RB 35/2012 form) drawn from a published process version.

Public surface: :func:`sopflow.sopdoc.document.render_sop_document` and its publication
(:func:`sopflow.sopdoc.publication.render_published_sop`); :mod:`steps`, :mod:`routes`, :mod:`layout`, :mod:`geometry`,
:mod:`drawing`, :mod:`text` and :mod:`logo` lay out and draw the flowchart table.
"""
