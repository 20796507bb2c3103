// A malicious sender for the browser tests: it builds a share by hand (SPEC §3–§6, with the page's
// own ots_format.js for the key schedule and the vendored libsodium.js) so that its metadata can say
// what no honest client would write, and uploads it to a real relay through the API of SPEC §10.
'use strict';

const H = require('./WebHarness');

async function libraries() {
  const { sodium, OtsFormat } = require('./ReceiverScripts').load();
  await OtsFormat.ready();
  return { sodium, F: OtsFormat };
}

function le(value, bytes) {
  const out = Buffer.alloc(bytes);
  let v = BigInt(value);
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

// A container (SPEC §6.1) of files, each { path, content (Buffer) }.
function container(files) {
  const parts = [Buffer.from('OTSC'), Buffer.from([1, 0, 0, 0])];
  for (const f of files) {
    const name = Buffer.from(f.path, 'utf8');
    parts.push(Buffer.from([2, 0]), le(0o644, 4), le(f.content.length, 8), le(1700000000, 8), le(name.length, 2), name, f.content);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

// Encrypts `payload` as a v1 stream (SPEC §4).
function stream(sodium, F, keys, payload) {
  const padded = F.paddedSize(payload.length);
  const plain = Buffer.concat([le(payload.length, 8), payload, Buffer.alloc(padded - 8 - payload.length)]);
  const pushed = sodium.crypto_secretstream_xchacha20poly1305_init_push(keys.streamKey);
  const head = Buffer.concat([Buffer.from('OTSS'), Buffer.from([1, 0, 0, 0]), le(padded, 8),
    Buffer.from(sodium.crypto_generichash(32, Buffer.from('onetimeshare/v1/stream-key-commitment'), keys.commitKey)),
    Buffer.from(pushed.header)]);
  const parts = [head, Buffer.from(sodium.crypto_generichash(32, head, keys.headerMacKey))];
  const chunks = Math.ceil(padded / 65536);
  for (let i = 0; i < chunks; i++) {
    const chunk = plain.subarray(i * 65536, Math.min(padded, (i + 1) * 65536));
    const tag = i + 1 === chunks ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
      : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    parts.push(le(i, 8), Buffer.from(sodium.crypto_secretstream_xchacha20poly1305_push(pushed.state, chunk, le(i, 8), tag)));
  }
  return Buffer.concat(parts);
}

// Sends `files` with `metadata` (any object: it is the malicious part) to the relay on `port`;
// returns { id, secret } as ots send would.
async function sendCrafted(port, files, metadata) {
  const { sodium, F } = await libraries();
  const secret = sodium.randombytes_buf(32);
  const keys = F.deriveKeys(secret, secret);
  const ciphertext = stream(sodium, F, keys, container(files));
  const nonce = sodium.randombytes_buf(24);
  const envelope = Buffer.concat([Buffer.from([1]), Buffer.from(nonce), Buffer.from(
    sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sodium.pad(Buffer.from(JSON.stringify(metadata)), 256),
      Buffer.concat([Buffer.from('onetimeshare/v1/metadata'), Buffer.from([1])]), null, nonce, keys.metadataKey))]);
  const create = await H.request(port, 'POST', '/api/v1/shares', {
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ size: ciphertext.length, expiresIn: 3600, maxDownloads: 1,
      authPublicKey: F.b64u.encode(keys.authPublicKey), linkPublicKey: F.b64u.encode(keys.linkPublicKey),
      metadata: envelope.toString('base64'), password: null }),
  });
  if (create.status !== 201) throw new Error('create: ' + create.status + ' ' + create.body);
  const { id, ownerToken } = JSON.parse(create.body.toString('utf8'));
  const upload = await H.request(port, 'PATCH', '/api/v1/shares/' + id + '/blob', {
    headers: { Authorization: 'Bearer ' + ownerToken, 'Upload-Offset': '0',
      'Content-Type': 'application/offset+octet-stream', 'Content-Length': String(ciphertext.length) },
    body: ciphertext,
  });
  if (upload.status !== 204) throw new Error('upload: ' + upload.status);
  const complete = await H.request(port, 'POST', '/api/v1/shares/' + id + '/complete', {
    headers: { Authorization: 'Bearer ' + ownerToken, 'Content-Type': 'application/json' }, body: '{}',
  });
  if (complete.status !== 200) throw new Error('complete: ' + complete.status);
  return { id, secret: F.b64u.encode(secret) };
}

module.exports = { sendCrafted };
