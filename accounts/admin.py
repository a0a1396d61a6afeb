from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "Review settings",
            {
                "fields": (
                    "time_zone",
                    "day_starts_at",
                    "new_cards_per_day",
                    "max_reviews_per_day",
                    "grade_buttons",
                )
            },
        ),
    )
    list_display = ("username", "email", "is_staff", "time_zone", "date_joined", "last_login")
