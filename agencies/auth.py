"""JWT tokens bound to the user's current session state.

simplejwt alone keeps honouring tokens after a password change or deactivation (its issues #193, #814). Every
token we issue carries `sfp`, an HMAC of the user's password hash and `session_version`; authentication and
refresh recompute it, so a password change, "log out everywhere" or deactivation rejects all older tokens on the
next request.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections, router
from django.utils.crypto import constant_time_compare, salted_hmac
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings

from core.exceptions import ApplicationError
from core.ratelimit import rate_limit_consume, rate_limit_refund, rate_limit_reset
from core.rows import row_converted
from core.serializers import StrictCharField, StrictSerializer

SESSION_FINGERPRINT_CLAIM = "sfp"


def session_fingerprint(user) -> str:
    value = f"{user.pk}|{user.password}|{user.session_version}|{int(user.is_active)}"
    return salted_hmac("peacecert.jwt-session", value).hexdigest()[:32]


def _token_matches_session(token, user) -> bool:
    claimed = token.get(SESSION_FINGERPRINT_CLAIM)
    return bool(claimed) and user.is_active and constant_time_compare(claimed, session_fingerprint(user))


class _UserRowLoader:
    """Load one user by primary key with SQL compiled once per database vendor.

    The binding check needs the row as it is *now* (so revocation is immediate, whatever changed it: a service, an
    admin bulk action or a database trigger), so it stays one query per request; what this saves is the ORM building
    and compiling that same query on every request (~40% of authentication's time in the profile). The row goes
    through the same converters the ORM applies (SQLite returns text datetimes and integer booleans)."""

    def __init__(self):
        self._compiled: dict[str, tuple[str, list, list]] = {}

    def _compile(self, connection):
        model = get_user_model()
        fields = model._meta.concrete_fields
        table = model._meta.db_table
        quote = connection.ops.quote_name
        # Identifiers from the model's own metadata, quoted by the backend; the only value is the %s parameter.
        sql = (f"SELECT {', '.join(f'{quote(table)}.{quote(f.column)}' for f in fields)} FROM {quote(table)} "  # noqa: S608
               f"WHERE {quote(table)}.{quote(model._meta.pk.column)} = %s")
        converters = {}
        for index, field in enumerate(fields):
            column = field.get_col(table)
            functions = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if functions:
                converters[index] = (functions, column)
        compiled = (sql, [f.attname for f in fields], converters)
        self._compiled[connection.vendor] = compiled
        return compiled

    def load(self, pk):
        model = get_user_model()
        alias = router.db_for_read(model)
        connection = connections[alias]
        sql, attnames, converters = self._compiled.get(connection.vendor) or self._compile(connection)
        try:
            pk = model._meta.pk.get_prep_value(pk)
        except (TypeError, ValueError):
            return None
        with connection.cursor() as cursor:
            cursor.execute(sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        return model.from_db(alias, attnames, list(row_converted(row, converters, connection)))


_user_rows = _UserRowLoader()


class SessionBoundJWTAuthentication(JWTAuthentication):
    """One query per request: the user row, loaded with precompiled SQL, then the token's session fingerprint is
    checked against it in Python (an HMAC keyed by SECRET_KEY, which the database cannot compute)."""

    def get_user(self, validated_token):
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            raise InvalidToken("Token contained no recognizable user identification")
        user = _user_rows.load(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if not _token_matches_session(validated_token, user):
            raise AuthenticationFailed("This token was revoked; log in again.", code="token_revoked")
        return user


class LoginSerializer(TokenObtainPairSerializer):
    """simplejwt's login with our strict text fields: a username of 5 is refused, not read as "5" (the login
    limits count only string usernames, so a number must never reach the password check)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = StrictCharField(write_only=True)
        self.fields["password"] = StrictCharField(write_only=True, trim_whitespace=False,
                                                  style={"input_type": "password"})

    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token[SESSION_FINGERPRINT_CLAIM] = session_fingerprint(user)
        token["role"] = user.effective_role
        return token


class SessionBoundRefreshSerializer(TokenRefreshSerializer):
    refresh = StrictCharField()

    def validate(self, attrs):
        refresh = self.token_class(attrs["refresh"])
        user_id = refresh.payload.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))
        user = get_user_model().objects.filter(pk=user_id).first()
        if user is None or not _token_matches_session(refresh, user):
            raise AuthenticationFailed("This token was revoked; log in again.", code="token_revoked")
        return super().validate(attrs)


class LogoutSerializer(StrictSerializer):
    refresh = StrictCharField(help_text="The refresh token to blacklist.")


LOGIN_ACCOUNT_SCOPE = "login-account"
LOGIN_ADDRESS_SCOPE = "login-address"


def _account_key(username: str) -> str:
    return username.strip().lower()


def login_refusal_message() -> str:
    return f"Too many login attempts; try again in up to {settings.LOGIN_WINDOW_SECONDS // 60} minutes."


def login_attempt_reserve(*, username: str, address: str) -> None:
    """Reserve this login attempt against the account and the address; refuse with 429 over either limit.

    Shared by every door that checks a password (the API's token endpoint and the admin's login form), so they
    spend one budget. The slots are reserved (atomic INCR) *before* the password check, so N parallel guesses
    let exactly the limit reach it; a success gives its slots back (login_attempt_succeeded), so only failures
    count in the end.
    """
    window = settings.LOGIN_WINDOW_SECONDS
    account_key = _account_key(username)
    account_ok = rate_limit_consume(
        scope=LOGIN_ACCOUNT_SCOPE, key=account_key, limit=settings.LOGIN_MAX_ATTEMPTS_PER_ACCOUNT,
        window_seconds=window,
    )
    if not account_ok:
        raise ApplicationError("too_many_login_attempts", login_refusal_message(), status_code=429)
    if not rate_limit_consume(scope=LOGIN_ADDRESS_SCOPE, key=address, limit=settings.LOGIN_MAX_ATTEMPTS_PER_ADDRESS,
                              window_seconds=window):
        # Refused before the password check: this was no failed guess at the account, so its slot goes back
        # (someone spraying from a shared office address must not also use up each victim's account budget).
        rate_limit_refund(scope=LOGIN_ACCOUNT_SCOPE, key=account_key)
        raise ApplicationError("too_many_login_attempts", login_refusal_message(), status_code=429)


def login_attempt_succeeded(*, username: str, address: str) -> None:
    # Only failures count: the address gets its slot back (an office behind one address logs in all day), and the
    # account's count is cleared so its owner is not locked out by their own earlier typos.
    rate_limit_refund(scope=LOGIN_ADDRESS_SCOPE, key=address)
    rate_limit_reset(scope=LOGIN_ACCOUNT_SCOPE, key=_account_key(username))
