"""The admin's import page: upload a file, see the dry-run preview and the errors, then confirm."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import acting_as

from .import_files import ImportFileError, check_size
from .importer import import_file

TOKEN = re.compile(r"^[0-9a-f]{32}\.(csv|xlsx|xlsm|txt)$")


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV or Excel (.xlsx) file"))

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        if suffix not in (".csv", ".xlsx", ".xlsm", ".txt"):
            raise forms.ValidationError(_("Only CSV and XLSX files can be imported."))
        try:
            check_size(upload.size)  # before the file is read: the import's own limit, as the command checks it
        except ImportFileError as exc:
            raise forms.ValidationError(str(exc))
        return upload


def _pending_dir() -> Path:
    """Uploaded files waiting for confirmation; those left unconfirmed for a day are removed."""
    folder = Path(settings.MEDIA_ROOT) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    stale = time.time() - 24 * 3600
    for old in folder.iterdir():
        if TOKEN.match(old.name) and old.stat().st_mtime < stale:
            old.unlink(missing_ok=True)
    return folder


def can_import(user: object) -> bool:
    return bool(getattr(user, "is_staff", False) and user.has_perm("enterprises.add_enterprise")
                and user.has_perm("enterprises.add_financialyear"))


def import_view(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST with a file: dry run and preview. POST with a token: the import itself."""
    if not can_import(request.user):
        raise PermissionDenied(_("You may not import enterprise data."))
    context = {**admin.site.each_context(request), "title": _("Import enterprises and yearly figures")}
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        if not TOKEN.match(token) or not (_pending_dir() / token).exists():
            messages.error(request, _("The uploaded file has expired; please upload it again."))
            return HttpResponseRedirect(reverse("insights:import"))
        stored = _pending_dir() / token
        with acting_as(request.user, reason=_("Import from %(file)s") % {"file": request.POST.get("name", "")}):
            result = import_file(stored.read_bytes(), token, dry_run=False)
        stored.unlink(missing_ok=True)
        if result.ok:
            messages.success(request, _("Imported. %(summary)s") % {"summary": result.summary()})
            return HttpResponseRedirect(reverse("admin:enterprises_enterprise_changelist"))
        context.update(form=ImportForm(), result=result)
        return TemplateResponse(request, "admin/enterprises/import.html", context)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read()
        result = import_file(content, upload.name, dry_run=True)
        context.update(result=result, name=upload.name)
        if result.ok:
            suffix = Path(upload.name).suffix.lower() or ".csv"
            token = f"{secrets.token_hex(16)}{suffix}"
            (_pending_dir() / token).write_bytes(content)
            context["token"] = token
    context["form"] = form
    return TemplateResponse(request, "admin/enterprises/import.html", context)
