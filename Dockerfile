# Production image: the API with its in-process worker and the bubblewrap sandbox.
# The same image runs scale-out mode (docker-compose.yml): `uvicorn app.main:app` for API replicas and
# `stratcrew-worker` for workers; only containers that run user code (the embedded API, workers) need the
# sandbox's privileges. The sandbox needs user namespaces inside the container: run with
#   --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cap-add SYS_ADMIN
# (or a runtime that allows unprivileged user namespaces). See docs/security.md and docs/scaling.md.
# bwrap creates new network, PID, IPC and UTS namespaces and mounts a tmpfs; setpriv drops to the
# per-slot uid (SANDBOX_UID_BASE + slot), so give each worker container on one host its own
# SANDBOX_UID_BASE unless the runtime remaps uids per container (RLIMIT_NPROC counts per uid host-wide).
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap util-linux make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY backend/requirements-torch.txt backend/requirements.lock backend/
RUN pip install --no-cache-dir -r backend/requirements-torch.txt --index-url https://download.pytorch.org/whl/cpu \
    && pip install --no-cache-dir -r backend/requirements.lock
COPY backend/ backend/
RUN pip install --no-cache-dir --no-deps -e backend
COPY --from=frontend /src/frontend/dist frontend/dist
ENV DATA_DIR=/data FRONTEND_DIST=/app/frontend/dist NUMBA_CACHE_DIR=/data/numba
EXPOSE 8000
WORKDIR /app/backend
CMD ["sh", "-c", "alembic upgrade head && exec uvicorn app.main:app --host 0.0.0.0 --port 8000"]
