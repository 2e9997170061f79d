"""What the enterprises layer tells the layers above, without importing them.

``figures_changed`` is sent, inside the writing transaction, with the ``enterprise_ids`` whose yearly figures or
sector changed. The evaluation layer derives their size class from the figures (the SME size table is ruleset
data it owns); the nightly re-score picks them up through ``needs_rescore``.
"""

from django.dispatch import Signal

figures_changed = Signal()
