# syntax=docker/dockerfile:1
# tagrelay container image.
#   docker build -t tagrelay .
#   docker run -p 8080:8080 -v tagrelay-data:/app/data -v "$PWD/config:/app/config:ro" tagrelay
# The config directory is read from /app/config (mount your own over it, or point
# TAGRELAY_CONFIG at a file); events and the outbox live in the /app/data volume.

# ---- build: bundle the TypeScript server into dist/ with esbuild ----
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The build needs no native addon and only one platform binary, esbuild's: install scripts and optional
# packages (bun, deno, workerd, sharp…) are skipped, so this stage needs no compiler toolchain and
# downloads far less; esbuild's own install script then fetches just its binary for this platform.
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund \
 && node node_modules/esbuild/install.js
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies, the bundled server, default config ----
FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# better-sqlite3 builds from source when no prebuilt binary fits; the toolchain is installed
# and purged in this one layer so it never ships. The npm cache stays out of the image too.
RUN --mount=type=cache,target=/root/.npm \
    apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && npm ci --omit=dev --no-audit --no-fund \
 && apt-get purge -y --auto-remove python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/dist ./dist
COPY config ./config
RUN mkdir -p data && chown node:node data

ENV TAGRELAY_DATA_DIR=/app/data
# Node keeps the bundle's compiled code here between starts of the container (a restart starts faster).
ENV NODE_COMPILE_CACHE=/tmp/tagrelay-compile-cache
VOLUME /app/data
USER node
EXPOSE 8080
# node:22-slim has no curl: probe with node's built-in fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/runtime/node/cli.js", "serve"]
