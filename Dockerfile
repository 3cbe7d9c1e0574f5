# One image for every service: api, worker, beat and the one-shot migrate job.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 10001 intake && mkdir /data && chown intake /data

COPY pyproject.toml README.md alembic.ini ./
COPY intake ./intake
COPY workers ./workers
COPY emails ./emails
COPY migrations ./migrations
# Editable, so `intake migrate` finds alembic.ini and migrations/ beside the package.
# The ops extra adds Flower, so the `flower` service runs from this same image.
RUN pip install -e '.[ops]'

USER intake
EXPOSE 8000
CMD ["intake", "api", "--host", "0.0.0.0", "--port", "8000"]
