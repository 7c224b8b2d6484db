# syntax=docker/dockerfile:1
# Videodesk backend: one ASGI process (API + Socket.IO) on port 4000.

FROM python:3.12-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /build

# Dependencies first, against a stub package, so that editing app/ does not
# re-download every dependency on the next build.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install . \
    && rm -rf app build *.egg-info

COPY app ./app
RUN pip install --no-deps --force-reinstall . \
    && rm -rf build *.egg-info


FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    NODE_ENV=production \
    PORT=4000

RUN useradd --system --user-group --uid 10001 --home-dir /srv/videodesk --shell /usr/sbin/nologin videodesk \
    && mkdir -p /srv/videodesk \
    && chown videodesk:videodesk /srv/videodesk

COPY --from=build /opt/venv /opt/venv

# The working directory holds nothing but what the app writes (DATA_DIR=.data
# when no external storage is configured); the code is in the venv.
WORKDIR /srv/videodesk
USER videodesk

EXPOSE 4000

# No curl in slim images; the interpreter is there anyway. urlopen raises on
# a non-2xx answer or no answer, which makes the check fail.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4000/health', timeout=4)"]

CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "4000", "--proxy-headers", "--forwarded-allow-ips=*", "--no-server-header"]
