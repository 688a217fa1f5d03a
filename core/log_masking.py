"""Reviewer links (/feedback/<token>/, /api/v1/feedback/<token>/) carry their secret in the path: whoever reads a
log line with the token could answer the survey in the reviewer's name. Every log line the project writes or
configures passes through `mask_secret_links`: Django's loggers and runserver's access log through
`SecretLinkFilter` (config/settings.py LOGGING), gunicorn's access log through `MaskingGunicornLogger`
(gunicorn.conf.py).
"""

import logging
import re

# The token is everything after /feedback/ up to the next separator; percent-encoded or not, it is replaced whole.
_FEEDBACK_LINK = re.compile(r"(/feedback/)[^/?#\s\"'<>]+")
# The one-time "set your password" link (/account/set-password/<uid>/<token>/): whoever reads the token could set
# the account's password, so it is masked the same way (the uid stays: it names no secret).
_PASSWORD_LINK = re.compile(r"(/account/set-password/[^/?#\s\"'<>]+/)[^/?#\s\"'<>]+")
MASK = "[token]"


def mask_secret_links(text: str) -> str:
    if "/set-password/" in text:
        text = _PASSWORD_LINK.sub(rf"\g<1>{MASK}", text)
    if "/feedback/" not in text:
        return text
    return _FEEDBACK_LINK.sub(rf"\g<1>{MASK}", text)


class SecretLinkFilter(logging.Filter):
    """Rewrites a record whose message contains a reviewer link (message and arguments are merged first, so a
    path passed as an argument is masked too). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logged as it is rather than lost
            return True
        masked = mask_secret_links(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


try:  # gunicorn is a production dependency; the class is defined only where it is installed
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = None

if _GunicornLogger is not None:

    class MaskingGunicornLogger(_GunicornLogger):
        """gunicorn's access and error logs with reviewer links masked, whatever handlers (file, stream, syslog,
        logconfig) gunicorn attaches: the filter sits on the loggers themselves, which gunicorn logs to directly."""

        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                if not any(isinstance(f, SecretLinkFilter) for f in log.filters):
                    log.addFilter(SecretLinkFilter())
