"""Loaded by pytest (`-p tests.environment`) before Django reads its settings.

Tests talk plain HTTP to local servers, so production's HTTPS-only defaults
(redirect, Secure cookies) are off here. `check --deploy` and the header
tests cover them with production variables instead.
"""

import os

os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
