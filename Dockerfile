# The Panoramax server as a container image (used by docker-compose.federation.yml).
# Build: docker build -t panoramax-cs .
# The image expects an external PostgreSQL+PostGIS (ConnectionStrings__Panoramax) and, in the compose file, MinIO.
# The base images are build arguments only so that an offline machine can build from local stand-ins
# (scripts/compose-smoke.sh); users keep the official defaults.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
# npm installs the pinned official web viewer during the build (see src/Panoramax.Server/Panoramax.Server.csproj).
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish src/Panoramax.Server -c Release -o /app -nologo

FROM ${RUNTIME_IMAGE}
# exiv2 writes uploaders' override_Exif/override_Xmp tags; curl serves the health check.
RUN apt-get update && apt-get install -y --no-install-recommends exiv2 curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://0.0.0.0:5000 \
    Panoramax__DataDirectory=/var/lib/panoramax \
    Panoramax__Federation__GrpcUrl=http://0.0.0.0:5001 \
    Panoramax__Blurring__ModelDirectory=/models
VOLUME ["/var/lib/panoramax"]
EXPOSE 5000 5001
# A first start applies the database migrations: on a busy machine that takes minutes (failures before the first
# success do not count during the start period).
HEALTHCHECK --interval=10s --timeout=10s --start-period=5m CMD curl -fs http://127.0.0.1:5000/api/health || exit 1
ENTRYPOINT ["dotnet", "panoramax.dll"]
