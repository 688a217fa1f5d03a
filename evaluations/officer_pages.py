"""The officer's own site (issue #18), export side: `/me/data/` explains the download, `/me/export.json` and
`/me/export.pdf` are the session-signed-in equivalents of /api/v1/me/officer/export.json|.pdf (the same functions:
evaluations/officer_export.py decides what goes in). Officer accounts only (agencies.officer_pages.officer_page)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from agencies.officer_pages import officer_page

from .officer_export import officer_own_export
from .officer_export_pdf import officer_export_pdf


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: no shared or browser cache keeps a copy
    return response


@require_GET
@officer_page
def officer_data(request):
    return render(request, "officer/data.html")


@require_GET
@officer_page
def officer_export_json(request):
    export = officer_own_export(user=request.user)
    content = json.dumps(export, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    return _attachment(HttpResponse(content, content_type="application/json"),
                       f"peacecert-export-{export['officer']['id']}.json")


@require_GET
@officer_page
def officer_export_pdf_download(request):
    export = officer_own_export(user=request.user)
    return _attachment(HttpResponse(officer_export_pdf(export), content_type="application/pdf"),
                       f"peacecert-export-{export['officer']['id']}.pdf")
