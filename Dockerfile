# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY brokercrm ./brokercrm
COPY advisors ./advisors
COPY clients ./clients
COPY imports ./imports
COPY tiers ./tiers
COPY churn ./churn
COPY loyalty ./loyalty
RUN pip install .
COPY . .
# Static files are collected as production serves them (DEBUG=0): hashed names and a
# manifest, compressed for WhiteNoise. The key and hosts here only let the settings
# load for the build; the container gets its own from the environment.
RUN useradd --system --uid 1000 brokercrm \
 && DEBUG=0 ALLOWED_HOSTS=build SECRET_KEY=build-only-collectstatic-key-never-used-to-sign-anything-0123456789 \
    PERSONAL_DATA_KEYS=YnVpbGQtb25seS1rZXktbmV2ZXItdXNlZC0wMTIzNDU= \
    PERSONAL_DATA_HASH_KEY=build-only-hash-key-never-used-for-any-data-0123 \
    python manage.py collectstatic --noinput \
 && chown -R brokercrm /app
USER brokercrm
EXPOSE 8000
CMD ["gunicorn", "brokercrm.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
