import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brokercrm.settings")
# The web processes' queries run without parallel workers (see settings).
os.environ.setdefault("DATABASE_PARALLEL_WORKERS", "0")
application = get_wsgi_application()
