from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts.roles import roles_sync_after_migrate

        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="accounts.roles_sync")

        from django.contrib.auth.signals import user_logged_in

        from accounts.twofactor import session_two_factor_start

        def two_factor_start(sender, request, user, **kwargs):
            if request is not None and hasattr(request, "session"):
                session_two_factor_start(request, user)

        user_logged_in.connect(two_factor_start, dispatch_uid="accounts.two_factor_start", weak=False)
