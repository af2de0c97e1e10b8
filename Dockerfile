# Production image of Anthropy Works: one image for the web console (default command), the
# control-plane worker (`node infra/control-plane-worker.ts`), the agent door (`node infra/agent-door/main.ts`),
# the migration job (`node infra/migrate.ts`) and the certificate job (`node infra/tls-certs.ts`).
# Node 24 runs the TypeScript sources directly (type stripping), so only the console is built.
# See docker-compose.yml for how the services use it.

FROM node:24-bookworm-slim AS base
WORKDIR /app

# Production dependencies only. `npm install` rather than `npm ci`: the lock file omits other platforms'
# optional packages (native binaries), which `npm ci` would refuse; the locked versions still apply.
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund --loglevel=error

# The React Router console (build/server and build/client), built with the dev dependencies.
FROM base AS build
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --loglevel=error
COPY . .
RUN node node_modules/@react-router/dev/bin.cjs build

FROM base AS runtime
ENV NODE_ENV=production \
    NODE_OPTIONS=--disable-warning=ExperimentalWarning \
    HOST=0.0.0.0 \
    PORT=3000
# Owned by root and only readable by the `node` user: the processes never write into /app.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY package.json ./
COPY activities ./activities
COPY api ./api
COPY db ./db
COPY infra ./infra
COPY protocol ./protocol
COPY web ./web
COPY workflows ./workflows
# The agent (the compose file's optional `agent` service); the control plane reads its bundle constants.
COPY agent-worker ./agent-worker
# Mount points of the certificate volumes (docker-compose.yml): an empty named volume takes its folder's
# owner from the image, so the `certs` service, running as `node`, can write into them.
RUN mkdir -p /tls/ca /tls/temporal /tls/temporal-ui /tls/app && chown -R node:node /tls
USER node
EXPOSE 3000
CMD ["node", "web/server.ts"]
