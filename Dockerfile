# productgraph: a multi-stage image. The build stage has pip and a compiler toolchain for
# any wheel that must be built; the final stage has only the virtualenv, runs as a
# non-root user, and has no build tools. See docs/operations.md.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
RUN python -m venv /opt/productgraph
COPY pyproject.toml README.md ./
COPY channels/ channels/
COPY graph/ graph/
COPY resolvers/ resolvers/
COPY sandbox/ sandbox/
RUN /opt/productgraph/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/productgraph/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
RUN groupadd --system productgraph \
    && useradd --system --gid productgraph --no-create-home --shell /usr/sbin/nologin productgraph
COPY --from=build /opt/productgraph /opt/productgraph
ENV PATH=/opt/productgraph/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PRODUCTGRAPH_ENV=production \
    PRODUCTGRAPH_HOST=0.0.0.0 \
    PRODUCTGRAPH_PORT=8000
USER productgraph
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Exec form: productgraph runs as PID 1 and gets SIGTERM itself (graceful shutdown).
STOPSIGNAL SIGTERM
ENTRYPOINT ["productgraph", "serve"]
