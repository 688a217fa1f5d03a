"""The admin's login form spends the same login budget as the API (agencies/auth.py): same settings, same
counters (scopes and keys), same atomic reservation before the password check, the same refusal message."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError

from core.client import client_address
from core.exceptions import ApplicationError

from .auth import login_attempt_reserve, login_attempt_succeeded


class RateLimitedAdminAuthenticationForm(AdminAuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username")
        if not (isinstance(username, str) and username and self.cleaned_data.get("password")):
            return super().clean()  # an incomplete form checks no password: the field errors answer
        address = client_address(self.request)
        try:
            login_attempt_reserve(username=username, address=address)
        except ApplicationError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        cleaned = super().clean()  # authenticates; raises on a wrong password or a non-staff account
        login_attempt_succeeded(username=username, address=address)
        return cleaned
