# One image for every Infernet process: `docker run infernet relay|coordinator|start|...`.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# The install builds the native libsecp256k1 addon (scripts/schnorr/build.ts) into INFERNET_SCHNORR_DIR; the second
# run fails the image when that build did not succeed, rather than ship an image that falls back to the WASM.
ENV INFERNET_SCHNORR_DIR=/app/.schnorr
COPY package.json package-lock.json ./
COPY scripts/schnorr ./scripts/schnorr
COPY src/schnorr ./src/schnorr
COPY src/errors ./src/errors
RUN npm ci --omit=dev --no-audit --no-fund && npm run --silent schnorr -- --strict
COPY bin ./bin
COPY src ./src
COPY relay ./relay
COPY node ./node
COPY client ./client
COPY nips ./nips
COPY tsconfig.json ./

FROM node:20.19-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production INFERNET_HOME=/data INFERNET_SCHNORR_DIR=/app/.schnorr
COPY --from=build /app /app
RUN ln -s /app/bin/infernet.js /usr/local/bin/infernet && mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
ENTRYPOINT ["node", "/app/bin/infernet.js"]
CMD ["--help"]
