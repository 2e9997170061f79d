"""What the evaluation layer tells the layers above, without importing them.

``chunk_scored`` is sent by a re-score chunk, inside the chunk's transaction, with the ``shortfalls`` it found
(``rescore.Shortfall``: a held tier no longer met) and the ``job_id``. The registry subscribes and turns them into
demotion proposals; a receiver returns how many it created. Because it runs in the chunk's transaction, a chunk
that rolls back leaves no proposal behind, and a chunk run twice finds its proposals already open.
"""

from django.dispatch import Signal

chunk_scored = Signal()

# ``chunk_assessed`` is sent by a re-score chunk after its assessments are written, inside the chunk's
# transaction, with ``evaluated``: (enterprise id, input digest, parsed profile, held tiers, engine result) for
# every enterprise the chunk evaluated (enterprises skipped as unchanged are not in it), and the ``version``,
# compiled ``ruleset`` and ``year``. The registry subscribes to propose pool entries (proactive discovery). It is
# sent only when someone listens, so a re-score without the registry pays nothing for it.
chunk_assessed = Signal()
