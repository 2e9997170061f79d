"""What the evaluation layer tells the layers above, without importing them.

``chunk_scored`` is sent by a re-score chunk, inside the chunk's transaction, with the ``shortfalls`` it found
(``rescore.Shortfall``: a held tier no longer met) and the ``job_id``. The registry subscribes and turns them into
demotion proposals; a receiver returns how many it created. Because it runs in the chunk's transaction, a chunk
that rolls back leaves no proposal behind, and a chunk run twice finds its proposals already open.
"""

from django.dispatch import Signal

chunk_scored = Signal()

# ``job_finished`` is sent once per re-score job, with its ``job_id``, when its last chunk has committed and the
# job is marked done (outside any chunk's transaction). The registry subscribes to run proactive discovery over
# the enterprises the job judged anew, as work of its own after the job, so the re-score itself pays nothing for
# it.
job_finished = Signal()
