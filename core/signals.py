"""Bind Celery tasks to the audit trail: a task's changes are recorded with the task as their author."""

from typing import Any

from celery.signals import task_postrun, task_prerun

from .audit import Actor, _actor, current_actor

_tokens: dict[str, Any] = {}


@task_prerun.connect(dispatch_uid="audit_task_prerun")
def _bind_task_actor(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    outer = current_actor()
    if outer.user_id is not None:
        # Run inline inside a request or command: keep its author, note the task.
        actor = Actor(user_id=outer.user_id, label=outer.label, source=outer.source, reason=outer.reason,
                      context={**outer.context, "task": getattr(task, "name", "")})
    else:
        actor = Actor(label=f"task:{getattr(task, 'name', 'unknown')}", source="task",
                      context={"task_id": task_id or ""})
    if task_id:
        _tokens[task_id] = _actor.set(actor)


@task_postrun.connect(dispatch_uid="audit_task_postrun")
def _unbind_task_actor(task_id: str | None = None, **kwargs: Any) -> None:
    token = _tokens.pop(task_id or "", None)
    if token is not None:
        try:
            _actor.reset(token)
        except ValueError:  # reset from another context: nothing to undo there
            pass
