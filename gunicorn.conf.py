# gunicorn reads ./gunicorn.conf.py when started from the repository root (`gunicorn config.wsgi`): reviewer links
# carry a secret in the path, so the access and error logs go through a logger that masks it (core/log_masking.py).
logger_class = "core.log_masking.MaskingGunicornLogger"
