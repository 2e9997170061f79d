"""The lowest layer: the audit trail, roles and the one region restriction, admin bases, the export mixin and
shared validators. It imports no other app of the project; every app above builds on it."""
