# Local stand-ins for mcr.microsoft.com/dotnet/sdk:10.0 and aspnet:10.0 (Ubuntu 24.04 based, like the official .NET 10
# images) for machines without access to mcr.microsoft.com: the base is a debootstrapped Ubuntu and .NET is the host's
# own installation. Build context: the host's dotnet folder (e.g. /usr/share/dotnet). Used by docker/local/build.sh only.
ARG BASE=panoramax-local/ubuntu:noble

FROM ${BASE} AS runtime-deps
# What the official runtime-deps image carries (TLS roots, ICU for globalisation, time zones).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libc6 libgcc-s1 libicu74 libssl3t64 \
      libstdc++6 tzdata zlib1g && rm -rf /var/lib/apt/lists/*
ENV APP_UID=1654 DOTNET_RUNNING_IN_CONTAINER=true ASPNETCORE_HTTP_PORTS=8080

FROM runtime-deps AS aspnet
COPY dotnet /usr/share/dotnet/dotnet
COPY host /usr/share/dotnet/host
COPY shared /usr/share/dotnet/shared
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet

FROM runtime-deps AS sdk
# The official SDK image has curl, git and the like; the Dockerfile's build stage uses apt and npm on top.
RUN apt-get update && apt-get install -y --no-install-recommends curl git && rm -rf /var/lib/apt/lists/*
COPY . /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_USE_POLLING_FILE_WATCHER=true NUGET_XMLDOC_MODE=skip DOTNET_GENERATE_ASPNET_CERTIFICATE=false
