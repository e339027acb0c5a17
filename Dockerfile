# syntax=docker/dockerfile:1
# tasklane container image. Two stages: `deps` installs the production dependencies from the lock
# file (tsx among them: the app runs its TypeScript directly, there is no build step); `runtime`
# copies them and the sources into a slim image that runs as the unprivileged `node` user (uid 1000).
#
#   docker build -t tasklane .
#   docker run --rm -p 3000:3000 -e JWT_SECRET="$(openssl rand -hex 32)" -e DATABASE_URL=postgres://… tasklane
#
# NODE_ENV=production: the app refuses to start without JWT_SECRET (>= 32 characters) or JWKS_URL,
# never enables the dev sign-in, and listens on 0.0.0.0. Without DATABASE_URL it falls back to the
# embedded PGlite database under /app/data (a demo only: mount a volume there to keep it).
# SIGTERM (docker stop, Kubernetes, Render) starts the app's graceful shutdown in host/main.ts:
# stop accepting, drain requests and sockets, flush the outbox relay, close Kafka and the pool.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY actors ./actors
COPY api ./api
COPY host ./host
COPY realtime ./realtime
COPY components ./components
# The only place the app may write (embedded-mode data); tsx keeps its transform cache in /tmp.
RUN mkdir -p /app/data && chown node:node /app/data
USER 1000:1000
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# node is PID 1 and receives SIGTERM itself (no npm/sh wrapper that would swallow it).
CMD ["node", "--import", "tsx", "host/main.ts"]
