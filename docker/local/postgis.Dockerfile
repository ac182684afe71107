# Local stand-in for postgis/postgis (Debian packages instead of Docker Hub): honours POSTGRES_USER, POSTGRES_PASSWORD
# and POSTGRES_DB on first start and answers pg_isready like the official image. Used by docker/local/build.sh only.
ARG BASE=panoramax-local/debian:bookworm
FROM ${BASE}
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 postgresql-15-postgis-3 \
    && rm -rf /var/lib/apt/lists/* && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgis-entrypoint.sh /usr/local/bin/postgis-entrypoint.sh
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
ENTRYPOINT ["bash", "/usr/local/bin/postgis-entrypoint.sh"]
