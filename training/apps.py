from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = "Training and CE credits"

    def ready(self):
        # Every table here can change a public answer (core/public_cache.py); a new model is watched by default.
        from core.public_cache import public_answer_sources

        public_answer_sources(*self.get_models())
