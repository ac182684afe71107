#!/bin/sh
# MinIO's command line (`server /data`) and credentials, mapped onto s3rver.
set -eu
[ "${1:-}" = server ] && shift
dir="${1:-/data}"
mkdir -p "$dir"
export S3RVER_ACCESS_KEY="${MINIO_ROOT_USER:-minioadmin}" S3RVER_SECRET_KEY="${MINIO_ROOT_PASSWORD:-minioadmin}"
exec node /s3/s3rver-for-tests.js "$dir"
