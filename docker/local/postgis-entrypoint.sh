#!/usr/bin/env bash
# First start: initdb with POSTGRES_USER/POSTGRES_PASSWORD, create POSTGRES_DB with PostGIS. Then run the server in
# the foreground on all interfaces. The init server listens on the socket only, so a TCP health check passes only
# once the real server is up (as with the official image).
set -euo pipefail
user="${POSTGRES_USER:-postgres}"; db="${POSTGRES_DB:-$user}"; password="${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "$password" > /tmp/pwfile
  as_postgres initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f /tmp/pwfile
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$db" != postgres ]; then as_postgres psql -q -U "$user" -d postgres -c "CREATE DATABASE \"$db\""; fi
  as_postgres psql -q -U "$user" -d "$db" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  echo "postgis-entrypoint: initialised $db for $user"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*'
