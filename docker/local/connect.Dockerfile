# Local stand-in for the alpine image the compose file's "connect" service uses: bash, curl and jq preinstalled (the
# service installs them with apk only when they are missing). Used by docker/local/build.sh only.
ARG BASE=panoramax-local/debian:bookworm
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends bash curl jq ca-certificates \
    && rm -rf /var/lib/apt/lists/*
