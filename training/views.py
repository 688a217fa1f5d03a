"""The public certificate verification page (server-rendered, no login)."""

from django.shortcuts import render

from .apis import verification_payload


def certificate_verify_page(request, code: str):
    payload = verification_payload(code=code)
    if payload is None:
        return render(request, "training/verify_not_found.html", {"code": code}, status=404)
    return render(request, "training/verify.html", {"certificate": payload})
