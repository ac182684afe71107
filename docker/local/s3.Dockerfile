# Local stand-in for minio/minio (dl.min.io and Docker Hub unreachable here): the S3-compatible s3rver the integration
# tests use (tests/tools, pinned by its lock file), started like MinIO: `server /data` with MINIO_ROOT_USER and
# MINIO_ROOT_PASSWORD, listening on :9000. Build context: those files and s3-entrypoint.sh, gathered by
# docker/local/build.sh (the only user of this file).
ARG BASE=panoramax-local/debian:bookworm
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /s3
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY s3rver-for-tests.js ./
COPY s3-entrypoint.sh /usr/local/bin/s3-entrypoint.sh
ENV S3RVER_ADDRESS=0.0.0.0 S3RVER_PORT=9000
VOLUME ["/data"]
EXPOSE 9000
ENTRYPOINT ["sh", "/usr/local/bin/s3-entrypoint.sh"]
