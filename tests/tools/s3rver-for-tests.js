#!/usr/bin/env node
// Starts s3rver for the integration tests on a random loopback port and prints "listening <port>".
// Usage: node s3rver-for-tests.js <data-directory>
//
// Quirk worked around here (test setup only, never in product code):
//  - s3rver 3.7 answers listings (ListBucketResult, ListAllMyBucketsResult) in the XML namespace
//    "http://doc.s3.amazonaws.com/2006-03-01/" instead of S3's "http://s3.amazonaws.com/doc/2006-03-01/";
//    the Minio .NET client then silently reads an empty listing. The namespace is rewritten on the way out.
//  - s3rver answers a HEAD carrying a Range header with 206, which Minio's StatObject (used before every Minio
//    GetObject with an offset) treats as an error; the Range header is dropped from HEAD requests.
//  - s3rver treats "Range: bytes=0-0" as "bytes=0-" (it tests the end with `||`) and sends the whole object
//    with a Content-Range claiming the full span; the store under test reads only what it asked for, but the
//    response is fixed here anyway so tests exercise a correct server.
//  - s3rver overwrites an object in place (truncate + write), so a GET already streaming the old object reads
//    a mix of old and new bytes; S3 replaces objects atomically. Objects are written to a temp file and renamed.
//  - A multi-object delete (POST ?delete, used by Minio's RemoveObjects) deletes its keys concurrently, and each
//    deletion then removes empty parent folders, racing the others (ENOENT -> 500 InternalError). Deletions
//    are serialised.
'use strict';

const crypto = require('crypto');
const path = require('path');
const { Transform } = require('stream');
const fs = require('fs-extra');
const S3rver = require('s3rver');
const FilesystemStore = require('s3rver/lib/stores/filesystem');
const AWSAccount = require('s3rver/lib/models/account');

const directory = process.argv[2];
if (!directory) {
  console.error('usage: node s3rver-for-tests.js <data-directory>');
  process.exit(2);
}

const getObject = FilesystemStore.prototype.getObject;
FilesystemStore.prototype.getObject = function (bucket, key, options) {
  if (options && options.end === 0) {
    // A Number object is truthy, so the store keeps it as the end instead of replacing it with Infinity.
    return getObject.call(this, bucket, key, { ...options, end: new Number(0) }); // eslint-disable-line no-new-wrappers
  }
  return getObject.call(this, bucket, key, options);
};

FilesystemStore.prototype.putObject = async function (object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await fs.mkdirp(path.dirname(objectPath));
  const temp = `${objectPath}.${process.pid}-${crypto.randomBytes(6).toString('hex')}.partial`;
  const md5 = crypto.createHash('md5');
  let size = 0;
  try {
    await new Promise((resolve, reject) => {
      const out = fs.createWriteStream(temp).on('error', reject).on('finish', resolve);
      if (Buffer.isBuffer(object.content)) {
        md5.update(object.content);
        size = object.content.length;
        out.end(object.content);
        return;
      }
      object.content
        .on('error', reject)
        .pipe(
          new Transform({
            transform(chunk, encoding, callback) {
              md5.update(chunk, encoding);
              size += chunk.length;
              callback(null, chunk);
            },
          }),
        )
        .pipe(out);
    });
    await fs.rename(temp, objectPath);
  } catch (err) {
    await fs.remove(temp);
    throw err;
  }
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};

const deleteObject = FilesystemStore.prototype.deleteObject;
let deletions = Promise.resolve();
FilesystemStore.prototype.deleteObject = function (bucket, key) {
  const run = deletions.then(() => deleteObject.call(this, bucket, key));
  deletions = run.catch(() => {});
  return run;
};

// docker/local/s3.Dockerfile runs this file as a MinIO stand-in: it listens where S3RVER_ADDRESS/S3RVER_PORT say and
// accepts the MinIO root user's access key (s3rver does not check SigV4 signatures, only that the key exists).
if (process.env.S3RVER_ACCESS_KEY) {
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(process.env.S3RVER_ACCESS_KEY, process.env.S3RVER_SECRET_KEY || '');
}
const server = new S3rver({
  address: process.env.S3RVER_ADDRESS || '127.0.0.1',
  port: Number(process.env.S3RVER_PORT || 0),
  directory,
  silent: !process.env.S3RVER_VERBOSE,
  // Clients address buckets path-style; with this on, s3rver takes any non-IP host name (a compose service name
  // such as "minio-alpha") for a virtual-host bucket.
  vhostBuckets: false,
});
server.middleware.unshift(async (ctx, next) => {
  if (ctx.method === 'HEAD') {
    delete ctx.request.headers.range;
  }
  await next();
  if (typeof ctx.body === 'string') {
    ctx.body = ctx.body.split('xmlns="http://doc.s3.amazonaws.com/2006-03-01/"').join('xmlns="http://s3.amazonaws.com/doc/2006-03-01/"');
  }
});

server.run().then(
  ({ port }) => console.log(`listening ${port}`),
  err => {
    console.error(err);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
