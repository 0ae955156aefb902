from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = _("Registration and queue")

    def ready(self) -> None:
        # Register the periodic tasks in every process, not only in a Celery worker (which autodiscovers
        # them): the embedded scheduler and beat's schedule check look them up by name.
        from appointments import care, tasks  # noqa: F401  (care: registers care relationships with records)
        from appointments.queue import tasks as queue_tasks  # noqa: F401
