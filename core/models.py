"""The platform's one table, the audit trail, is defined with its helpers in ``core/audit.py``."""

from .audit import AuditAction, AuditedModel, AuditEntry

__all__ = ["AuditAction", "AuditEntry", "AuditedModel"]
