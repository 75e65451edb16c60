# One image for every role: the API (`ebhxh serve --no-worker`), the worker (`ebhxh worker`),
# migrations (`ebhxh migrate`) and the VSS sandbox (`ebhxh sandbox serve`); the Helm chart
# picks the role by command. This machine has no container engine: the file is kept simple
# and is untested here (docs/operations.md says so).
#
#   docker build -t ebhxh:0.1.0 .

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: resolve the locked environment, the platform and its built-in plugins -------
FROM ${PYTHON_IMAGE} AS build
# Compilers only here, for any dependency without a wheel; the final stage has none.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
# Workspace metadata first: the dependency layer is cached until the lock file changes.
COPY pyproject.toml uv.lock ./
COPY platform/pyproject.toml platform/pyproject.toml
COPY plugins/provinces/hanoi/pyproject.toml plugins/provinces/hanoi/pyproject.toml
COPY plugins/provinces/paper/pyproject.toml plugins/provinces/paper/pyproject.toml
COPY plugins/signers/hsm/pyproject.toml plugins/signers/hsm/pyproject.toml
RUN uv sync --frozen --no-dev --no-install-workspace
# Then the code: the platform and the plugins installed (not editable) from the workspace,
# so the plugins load through their entry points exactly as a partner's would.
COPY platform platform
COPY plugins plugins
RUN uv sync --frozen --no-dev --no-editable

# --- runtime: the virtual environment on a slim Python, as a non-root user -------------
FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 ebhxh \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin ebhxh
# Only the environment: the source tree stays in the build stage.
COPY --from=build --chown=root:root /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    EBHXH_HOST=0.0.0.0 \
    EBHXH_DATA_DIR=/data
WORKDIR /data
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["ebhxh"]
CMD ["serve", "--no-worker", "--no-migrate"]
