"""What the enterprises layer tells the layers above, without importing them.

``figures_changed`` is sent, inside the writing transaction, with the ``enterprise_ids`` whose yearly figures or
sector changed. The evaluation layer derives their size class from the figures (the SME size table is ruleset
data it owns); the nightly re-score picks them up through ``needs_rescore``.

``region_changed`` is sent, inside the writing transaction, with ``moves``: ``{enterprise id: (old region code,
new region code)}`` for enterprises that moved (the registry moves its dashboard counts with them).
"""

from django.dispatch import Signal

figures_changed = Signal()
region_changed = Signal()
