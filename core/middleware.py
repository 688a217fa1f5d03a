from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """A strict Content-Security-Policy on HTML responses (pages, admin, API docs); JSON needs none.

    Django 5.2 has no built-in CSP. Scripts only from our origin (Swagger UI runs in its split mode, whose init
    script is a file); inline style attributes are allowed because the Django admin uses them.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
