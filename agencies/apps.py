from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    name = "agencies"
    verbose_name = "People and agencies"

    def ready(self):
        # Officers, licences and agencies feed the public registry's answers (core/public_cache.py). Accounts do not,
        # and a login writes last_login: they would retire the cache on every sign-in.
        from core.public_cache import public_answer_sources

        public_answer_sources(*(m for m in self.get_models() if m._meta.model_name != "user"))
