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
//  - s3rver does not check SigV4 signatures at all (only that the access key exists). Presigned URLs (the
//    signature in the query string, as the instance hands browsers for direct downloads) are verified here: a
//    link signed for another host, path, query or secret, or past its X-Amz-Expires, gets 403 as from S3.
//  - s3rver answers CORS only for buckets given a CORS configuration. Like MinIO's default, every origin is allowed
//    here (Origin reflected, credentials allowed), so a browser test can follow the instance's redirects to it.
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
// accepts the MinIO root user's access key (s3rver checks only that the key exists; presigned URLs are verified below).
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

// AWS's URI encoding: every byte but unreserved characters, uppercase hex (encodeURIComponent leaves !'()* alone).
const awsEncode = text => encodeURIComponent(text).replace(/[!'()*]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data, 'utf8').digest();

function presignedSignatureProblem(ctx) {
  const raw = (ctx.querystring || '').split('&').filter(p => p.length > 0).map(p => {
    const at = p.indexOf('=');
    const decode = t => decodeURIComponent(t.replace(/\+/g, ' '));
    return at < 0 ? [decode(p), ''] : [decode(p.slice(0, at)), decode(p.slice(at + 1))];
  });
  const query = Object.fromEntries(raw);
  if (query['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') {
    return 'unsupported X-Amz-Algorithm';
  }
  const [accessKey, date, region, service, terminator] = (query['X-Amz-Credential'] || '').split('/');
  const account = AWSAccount.registry.get(accessKey);
  const secret = account && account.accessKeys.get(accessKey);
  if (secret === undefined || terminator !== 'aws4_request') {
    return 'unknown credential';
  }
  const stamp = query['X-Amz-Date'] || '';
  const signedAt = Date.parse(stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(signedAt) || !stamp.startsWith(date)) {
    return 'bad X-Amz-Date';
  }
  if (Date.now() > signedAt + Number(query['X-Amz-Expires']) * 1000) {
    return 'expired';
  }
  const signedHeaders = (query['X-Amz-SignedHeaders'] || '').split(';');
  const canonicalQuery = raw.filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [awsEncode(k), awsEncode(v)])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const canonicalPath = ctx.path.split('/').map(seg => awsEncode(decodeURIComponent(seg))).join('/');
  const canonicalRequest = [
    ctx.method,
    canonicalPath,
    canonicalQuery,
    signedHeaders.map(h => `${h}:${String(ctx.get(h)).trim()}\n`).join(''),
    signedHeaders.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, crypto.createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
  return crypto.createHmac('sha256', key).update(stringToSign).digest('hex') === query['X-Amz-Signature'] ? null : 'signature does not match';
}

server.middleware.unshift(async (ctx, next) => {
  if ('X-Amz-Signature' in ctx.query) {
    const problem = presignedSignatureProblem(ctx);
    if (problem !== null) {
      ctx.status = 403;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${problem}</Message></Error>`;
      return;
    }
  }
  await next();
});

server.middleware.unshift(async (ctx, next) => {
  const origin = ctx.get('Origin');
  if (!origin) {
    await next();
    return;
  }
  ctx.set('Access-Control-Allow-Origin', origin);
  ctx.set('Access-Control-Allow-Credentials', 'true');
  ctx.set('Vary', 'Origin');
  if (ctx.method === 'OPTIONS' && ctx.get('Access-Control-Request-Method')) {
    ctx.set('Access-Control-Allow-Methods', 'GET, HEAD');
    ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers') || '*');
    ctx.status = 204;
    return;
  }
  ctx.set('Access-Control-Expose-Headers', 'Content-Length, Content-Range, ETag, Last-Modified');
  await next();
});

server.run().then(
  ({ port }) => console.log(`listening ${port}`),
  err => {
    console.error(err);
    process.exit(1);
  },
);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
