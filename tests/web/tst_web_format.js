'use strict';
// tst_web_format: the browser receiver's protocol core (resources/web/receiver/ots_format.js) against
// every group of tests/data/vectors_v1.json that a receiver can check, with the vendored libsodium.js
// and hash-wasm loaded as the page loads them. Streams and containers are also fed in odd-sized
// pieces to prove that parsing is incremental. Exit status 1 on any failure or missing group.

const fs = require('fs');
const path = require('path');
const assert = require('assert');

const repo = path.resolve(__dirname, '..', '..');
const F = require('./ReceiverScripts').load().OtsFormat;
const vectors = JSON.parse(fs.readFileSync(path.join(repo, 'tests/data/vectors_v1.json'), 'utf8'));

const counts = {};
const failures = [];

function check(group, name, fn) {
  counts[group] = (counts[group] || 0) + 1;
  try {
    fn();
  } catch (error) {
    failures.push(group + ' / ' + name + ': ' + (error && error.stack ? error.stack : error));
  }
}

async function checkAsync(group, name, fn) {
  counts[group] = (counts[group] || 0) + 1;
  try {
    await fn();
  } catch (error) {
    failures.push(group + ' / ' + name + ': ' + (error && error.stack ? error.stack : error));
  }
}

function cases(group, list) {
  if (!Array.isArray(list) || list.length === 0) {
    failures.push('vector group ' + group + ' is missing or empty');
    return [];
  }
  return list;
}

const hex = (text) => Uint8Array.from(Buffer.from(text, 'hex'));
const toHex = (bytes) => Buffer.from(bytes).toString('hex');
const b64 = (text) => Uint8Array.from(Buffer.from(text, 'base64'));
const pattern = (length) => {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = i % 251;
  return out;
};

function errorCode(fn) {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof F.OtsError)) throw error;
    return error.code;
  }
  return 'ok';
}

function concat(list) {
  return Uint8Array.from(Buffer.concat(list.map((part) => Buffer.from(part.buffer, part.byteOffset, part.length))));
}

// Feeds `bytes` in pieces of `piece` bytes (0: all at once); returns the outcome and what came out.
function runStream(keys, bytes, piece, announce) {
  const reader = new F.StreamReader(keys, announce ? bytes.length : null);
  const out = [];
  const code = errorCode(() => {
    const step = piece || bytes.length || 1;
    for (let offset = 0; offset < bytes.length; offset += step) {
      for (const part of reader.push(bytes.subarray(offset, offset + step))) out.push(part);
    }
    reader.end();
  });
  return { code, payload: concat(out), reader };
}

function runContainer(bytes, windows, piece) {
  const reader = new F.ContainerReader({ windows });
  const entries = [];
  let ended = false;
  const code = errorCode(() => {
    const step = piece || bytes.length || 1;
    const handle = (event) => {
      if (event.type === 'entry') entries.push({ event, content: [] });
      else if (event.type === 'data') entries[entries.length - 1].content.push(Uint8Array.from(event.bytes));
      else if (event.type === 'end') ended = true;
    };
    for (let offset = 0; offset < bytes.length; offset += step) reader.push(bytes.subarray(offset, offset + step)).forEach(handle);
    reader.end();
  });
  return { code, entries, ended };
}

const keyCache = new Map();
async function keysFor(vector) {
  const id = vector.linkSecret + '|' + (vector.password || '') + '|' + JSON.stringify(vector.argon2 || null);
  if (!keyCache.has(id)) {
    const secret = F.b64u.decode(vector.linkSecret, 32);
    const kdf = vector.argon2 ? { ...vector.argon2, salt: F.b64u.encode(hex(vector.argon2.salt)) } : null;
    const shareKey = await F.deriveShareKey(secret, vector.argon2 ? vector.password : null, kdf);
    keyCache.set(id, { shareKey, keys: F.deriveKeys(shareKey, secret) });
  }
  return keyCache.get(id);
}

async function testKeySchedules() {
  for (const v of cases('keySchedule', vectors.keySchedule)) {
    await checkAsync('keySchedule', v.name, async () => {
      const { shareKey, keys } = await keysFor(v);
      assert.strictEqual(toHex(shareKey), v.shareKey, 'shareKey');
      assert.strictEqual(toHex(keys.streamKey), v.streamKey, 'streamKey');
      assert.strictEqual(toHex(keys.metadataKey), v.metadataKey, 'metadataKey');
      assert.strictEqual(toHex(keys.commitKey), v.commitKey, 'commitKey');
      assert.strictEqual(toHex(keys.headerMacKey), v.headerMacKey, 'headerMacKey');
      assert.strictEqual(toHex(keys.authPublicKey), v.authPublicKey, 'authPublicKey');
      assert.strictEqual(toHex(keys.linkPublicKey), v.linkPublicKey, 'linkPublicKey');
      const proof = F.proof(keys, hex(v.shareId), hex(v.challengeNonce));
      assert.strictEqual(toHex(proof.signature), v.signature, 'signature');
      assert.strictEqual(toHex(proof.linkSignature), v.linkSignature, 'linkSignature');
      // The signatures verify under the public keys, and the two never stand for each other.
      assert.ok(sodium.crypto_sign_verify_detached(proof.linkSignature,
        concat([Buffer.from('onetimeshare/v1/link-proof'), hex(v.shareId), hex(v.challengeNonce)]), keys.linkPublicKey));
      assert.ok(!sodium.crypto_sign_verify_detached(proof.signature,
        concat([Buffer.from('onetimeshare/v1/link-proof'), hex(v.shareId), hex(v.challengeNonce)]), keys.linkPublicKey));
    });
  }
  await checkAsync('keySchedule', 'password is NFC-normalised', async () => {
    const secret = new Uint8Array(32).fill(7);
    const kdf = { salt: F.b64u.encode(new Uint8Array(16).fill(1)), iterations: 3, memoryKiB: 65536, parallelism: 1 };
    const composed = await F.deriveShareKey(secret, '\u00e9t\u00e9', kdf);
    const decomposed = await F.deriveShareKey(secret, 'e\u0301te\u0301', kdf);
    assert.strictEqual(toHex(composed), toHex(decomposed));
  });
  await checkAsync('keySchedule', 'empty password and weak parameters are refused before Argon2', async () => {
    const secret = new Uint8Array(32);
    const kdf = { salt: F.b64u.encode(new Uint8Array(16)), iterations: 3, memoryKiB: 65536, parallelism: 4 };
    await assert.rejects(F.deriveShareKey(secret, '', kdf), { code: 'key.password_empty' });
    await assert.rejects(F.deriveShareKey(secret, 'x', { ...kdf, iterations: 2 }), { code: 'key.kdf_params_too_weak' });
    await assert.rejects(F.deriveShareKey(secret, 'x', { ...kdf, parallelism: 65 }), { code: 'key.kdf_params_too_costly' });
    await assert.rejects(F.deriveShareKey(secret, 'x', { ...kdf, salt: 'AAAA' }), { code: 'bad_base64url' });
  });
}

function testKdfLimits() {
  for (const v of cases('kdfLimits', vectors.kdfLimits && vectors.kdfLimits.cases)) {
    check('kdfLimits', v.name, () => {
      const code = errorCode(() =>
        F.checkKdf(v.passwordBytes, { iterations: v.iterations, memoryKiB: v.memoryKiB, parallelism: v.parallelism })
      );
      assert.strictEqual(code, v.expected);
    });
  }
}

function testLinks() {
  const links = vectors.links || {};
  for (const v of cases('links.valid', links.valid)) {
    check('links', v.name, () => {
      const link = F.parseLink(v.input);
      assert.strictEqual(link.transport, v.transport);
      assert.strictEqual(link.host, v.host);
      assert.strictEqual(link.port, v.port);
      assert.strictEqual(link.shareId, v.shareId);
      assert.strictEqual(F.b64u.encode(link.secret), v.secret);
      assert.strictEqual(link.webUrl, v.webUrl);
      assert.strictEqual(link.appUrl, v.appUrl);
      assert.strictEqual(link.relayBaseUrl, v.relayBaseUrl);
      for (const again of [F.parseLink(link.webUrl), F.parseLink(link.appUrl)]) {
        for (const field of ['transport', 'host', 'port', 'shareId', 'webUrl', 'appUrl', 'relayBaseUrl'])
          assert.strictEqual(again[field], link[field], field + ' after a round trip');
        assert.strictEqual(toHex(again.secret), toHex(link.secret));
      }
    });
  }
  for (const v of cases('links.invalid', links.invalid)) {
    check('links', v.name, () => assert.strictEqual(errorCode(() => F.parseLink(v.input)), v.error));
  }
  check('links', 'non-ASCII host and scheme', () => {
    assert.strictEqual(errorCode(() => F.parseLink('https://r\u00e9lay.example/s/AAECAwQFBgcICQoLDA0ODw#ERgfJi00O0JJUFdeZWxzeoGIj5adpKuyucDHztXc4-o')), 'link.bad_host');
    assert.strictEqual(errorCode(() => F.parseLink('http\u212as://relay.example/s/AAECAwQFBgcICQoLDA0ODw#ERgfJi00O0JJUFdeZWxzeoGIj5adpKuyucDHztXc4-o')), 'link.bad_scheme');
  });
  check('links', 'page location', () => {
    const page = F.parsePageLocation('/s/AAECAwQFBgcICQoLDA0ODw', '#ERgfJi00O0JJUFdeZWxzeoGIj5adpKuyucDHztXc4-o');
    assert.strictEqual(page.shareId, 'AAECAwQFBgcICQoLDA0ODw');
    assert.strictEqual(toHex(page.shareIdBytes), '000102030405060708090a0b0c0d0e0f');
    assert.strictEqual(F.b64u.encode(page.secret), 'ERgfJi00O0JJUFdeZWxzeoGIj5adpKuyucDHztXc4-o');
    const secret = '#ERgfJi00O0JJUFdeZWxzeoGIj5adpKuyucDHztXc4-o';
    assert.strictEqual(errorCode(() => F.parsePageLocation('/s/AAECAwQFBgcICQoLDA0ODx', secret)), 'link.bad_share_id');
    assert.strictEqual(errorCode(() => F.parsePageLocation('/', secret)), 'link.bad_share_id');
    assert.strictEqual(errorCode(() => F.parsePageLocation('/s/AAECAwQFBgcICQoLDA0ODw', '')), 'link.missing_secret');
    assert.strictEqual(errorCode(() => F.parsePageLocation('/s/AAECAwQFBgcICQoLDA0ODw', '#')), 'link.missing_secret');
    assert.strictEqual(errorCode(() => F.parsePageLocation('/s/AAECAwQFBgcICQoLDA0ODw', secret.slice(0, -1))), 'link.bad_secret');
    assert.strictEqual(errorCode(() => F.parsePageLocation('/s/AAECAwQFBgcICQoLDA0ODw', secret + '%20')), 'link.bad_secret');
  });
  check('links', 'base64url is canonical', () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff);
    for (let n = 0; n <= bytes.length; n++) {
      const text = F.b64u.encode(bytes.subarray(0, n));
      assert.strictEqual(text, Buffer.from(bytes.subarray(0, n)).toString('base64url'));
      assert.strictEqual(toHex(F.b64u.decode(text, n)), toHex(bytes.subarray(0, n)));
    }
    for (const bad of ['AB', 'AAE', 'AA=', 'A+', 'A/', 'A A']) assert.strictEqual(errorCode(() => F.b64u.decode(bad, 1)), 'bad_base64url');
  });
}

function testPadme() {
  const p = vectors.padme || {};
  for (const v of cases('padme.padme', p.padme)) check('padme', 'padme ' + v.x, () => assert.strictEqual(F.padme(v.x), v.padme));
  for (const v of cases('padme.sizes', p.sizes)) {
    check('padme', 'sizes ' + v.payloadLength, () => {
      assert.strictEqual(F.paddedSize(v.payloadLength), v.paddedSize);
      assert.strictEqual(F.ciphertextSize(v.paddedSize), v.ciphertextSize);
      assert.ok(F.isValidCiphertextSize(v.ciphertextSize));
    });
  }
  for (const n of cases('padme.invalidCiphertextSizes', p.invalidCiphertextSizes))
    check('padme', 'invalid ' + n, () => assert.ok(!F.isValidCiphertextSize(n)));
}

async function testStreams(group, list) {
  for (const v of cases(group, list)) {
    const { keys } = await keysFor(v);
    const bytes = b64(v.ciphertext);
    const expected = v.expected === 'success' ? 'ok' : v.error;
    // Every piece size, with and without the size the relay announces.
    for (const piece of [0, 1, 7, 100 * 1024]) {
      for (const announce of [false, true]) {
        if (piece === 1 && bytes.length > 300000) continue;
        check(group, v.name + ' in pieces of ' + (piece || 'all') + (announce ? ', size announced' : ''), () => {
          const result = runStream(keys, bytes, piece, announce);
          assert.strictEqual(result.code, expected);
          if (expected === 'ok') {
            assert.strictEqual(toHex(result.payload), toHex(pattern(v.payloadPatternLength)));
            assert.strictEqual(result.reader.payloadLength, v.payloadPatternLength);
            assert.strictEqual(result.reader.consumed, bytes.length);
            assert.ok(result.reader.complete);
          } else {
            // Once failed it stays failed, with the same error.
            assert.strictEqual(errorCode(() => result.reader.push(new Uint8Array(1))), expected);
            assert.strictEqual(errorCode(() => result.reader.end()), expected);
          }
        });
      }
    }
  }
}

async function testStreamExtras() {
  const v = vectors.stream.find((s) => s.name === 'three chunks');
  const { keys } = await keysFor(v);
  const bytes = b64(v.ciphertext);
  check('stream', 'payload released chunk by chunk before the end', () => {
    const reader = new F.StreamReader(keys, bytes.length);
    const first = reader.push(bytes.subarray(0, 104 + 25 + 65536));
    assert.strictEqual(first.length, 1);
    assert.strictEqual(first[0].length, 65536 - 8);
    assert.strictEqual(reader.consumed, 104 + 25 + 65536);
    assert.strictEqual(reader.payloadLength, 150000);
    assert.strictEqual(errorCode(() => reader.end()), 'stream.truncated');
  });
  check('stream', 'announced size shorter or longer than the header says', () => {
    assert.strictEqual(errorCode(() => new F.StreamReader(keys, bytes.length - 1).push(bytes.subarray(0, 104))), 'stream.truncated');
    assert.strictEqual(errorCode(() => new F.StreamReader(keys, bytes.length + 1).push(bytes.subarray(0, 104))), 'stream.trailing_data');
  });
  check('stream', 'magic refused at its first wrong byte', () => {
    const reader = new F.StreamReader(keys, null);
    assert.strictEqual(errorCode(() => reader.push(Uint8Array.of(0x4f, 0x54))), 'ok');
    assert.strictEqual(errorCode(() => reader.push(Uint8Array.of(0x00))), 'stream.bad_magic');
  });
}

function testMetadataEnvelopes() {
  const secretKeys = (linkSecret) => {
    const secret = F.b64u.decode(linkSecret, 32);
    return F.deriveKeys(secret, secret);
  };
  for (const v of cases('metadata', vectors.metadata)) {
    check('metadata', v.name, () => {
      const keys = secretKeys(v.linkSecret);
      const code = errorCode(() => {
        const plain = F.openMetadata(keys, b64(v.envelope));
        assert.strictEqual(Buffer.from(plain).toString('base64'), v.plaintext);
      });
      assert.strictEqual(code, v.expected === 'success' ? 'ok' : v.error);
    });
  }
  for (const v of cases('metadataEnvelopes', vectors.metadataEnvelopes && vectors.metadataEnvelopes.cases)) {
    check('metadataEnvelopes', v.name, () => {
      let envelope;
      if (v.envelopeFill) {
        envelope = new Uint8Array(v.envelopeFill.length);
        envelope[0] = v.envelopeFill.firstByte;
      } else {
        envelope = b64(v.envelope);
      }
      let plain = null;
      const code = errorCode(() => {
        plain = F.openMetadata(secretKeys(v.linkSecret), envelope);
      });
      assert.strictEqual(code, v.expected);
      if (code === 'ok') assert.strictEqual(Buffer.from(plain).toString('base64'), v.plaintext);
    });
  }
}

function testMetadataPlaintext() {
  for (const v of cases('metadataPlaintext', vectors.metadataPlaintext && vectors.metadataPlaintext.cases)) {
    check('metadataPlaintext', v.name, () => {
      let parsed = null;
      const code = errorCode(() => {
        parsed = F.parseMetadata(Uint8Array.from(Buffer.from(v.json, 'utf8')));
      });
      assert.strictEqual(code, v.expected);
      if (code === 'ok') {
        const plain = JSON.parse(v.json);
        for (const field of ['v', 'kind', 'fileCount', 'folderCount', 'totalBytes', 'truncated', 'note'])
          assert.deepStrictEqual(parsed[field], plain[field], field);
        assert.deepStrictEqual(parsed.entries, plain.entries);
      }
    });
  }
  check('metadataPlaintext', 'invalid UTF-8 and duplicate integer spellings', () => {
    assert.strictEqual(errorCode(() => F.parseMetadata(Uint8Array.of(0x7b, 0xff, 0x7d))), 'metadata.malformed');
    const doubled = '{"v":1,"kind":"files","entries":[],"fileCount":0,"folderCount":0,"totalBytes":0,"totalBytes":1.0,"truncated":false}';
    assert.strictEqual(errorCode(() => F.parseMetadata(Uint8Array.from(Buffer.from(doubled)))), 'metadata.malformed');
  });
}

function containerEntries(entries) {
  return entries.map(({ event, content }) => {
    const out = { mode: event.mode, mtime: event.mtime, path: event.path, size: event.size, type: event.kind };
    if (event.kind === 'file') out.content = Buffer.from(concat(content)).toString('base64');
    return out;
  });
}

function generateFolders(count) {
  const parts = [Uint8Array.of(0x4f, 0x54, 0x53, 0x43, 1, 0, 0, 0)];
  for (let i = 0; i < count; i++) {
    const name = Buffer.from(String(i));
    const fixed = new Uint8Array(24);
    fixed[0] = 1;
    fixed[2] = 0xed;
    fixed[3] = 0x01;
    fixed[22] = name.length;
    parts.push(fixed, name);
  }
  parts.push(Uint8Array.of(0));
  return Uint8Array.from(Buffer.concat(parts));
}

function testContainers() {
  for (const v of cases('containers', vectors.containers && vectors.containers.cases)) {
    let bytes;
    if (v.generate) {
      assert.ok(v.generate.folders > 0 && /decimal numbers/.test(v.generate.rule), 'generate rule understood');
      bytes = generateFolders(v.generate.folders);
    } else {
      bytes = b64(v.bytes);
    }
    const pieces = v.generate ? [100 * 1024] : [0, 1, 7, 100 * 1024];
    for (const piece of pieces) {
      check('containers', v.name + ' (' + v.rules + ', pieces of ' + (piece || 'all') + ')', () => {
        const result = runContainer(bytes, v.rules === 'windows', piece);
        assert.strictEqual(result.code, v.expected);
        if (v.expected === 'ok') {
          assert.ok(result.ended);
          assert.deepStrictEqual(containerEntries(result.entries), v.entries);
        }
      });
    }
  }
  // One entry with the given path bytes, as a whole container.
  const oneEntry = (pathBytes, type = 2) => {
    const fixed = new Uint8Array(24);
    fixed[0] = type;
    fixed[2] = 0xa4;
    fixed[3] = 0x01;
    fixed[22] = pathBytes.length & 0xff;
    fixed[23] = pathBytes.length >> 8;
    return concat([Buffer.from('OTSC\x01\x00\x00\x00', 'latin1'), fixed, pathBytes, Uint8Array.of(0)]);
  };
  // SPEC §6.3 checks its rows in order, the portable table before the Windows one: the first failing
  // row decides, whatever component it is in.
  const order = [
    ['a\\b/' + 'x'.repeat(256), false, 'path.too_long'],
    [Buffer.from([0xff, 0x00]), false, 'path.nul'],
    [Buffer.from([0xff, 0x01]), false, 'path.invalid_utf8'],
    ['a\\b/\u202e', false, 'path.format_character'],
    ['a:b/..', true, 'path.traversal'],
    ['a./con', true, 'path.reserved_name'],
    ['x\u00b2/COM\u00b2.txt', true, 'path.reserved_name'],
    ['a /b', true, 'path.trailing_dot_or_space'],
    ['a/b>', true, 'path.invalid_character'],
  ];
  for (const [name, windows, expected] of order) {
    check('containers', 'rule order: ' + JSON.stringify(String(name)) + (windows ? ' (windows)' : ''), () => {
      const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
      assert.strictEqual(runContainer(oneEntry(Uint8Array.from(bytes)), windows, 0).code, expected);
    });
  }
  check('containers', 'file content passes through without a copy', () => {
    const content = new Uint8Array(1 << 20).fill(5);
    const fixed = new Uint8Array(24);
    fixed[0] = 2;
    fixed[8] = 0x10; // size 1 MiB
    fixed[22] = 1;
    const input = concat([Buffer.from('OTSC\x01\x00\x00\x00', 'latin1'), fixed, Buffer.from('f'), content, Uint8Array.of(0)]);
    const events = new F.ContainerReader({ windows: false }).push(input);
    assert.deepStrictEqual(events.map((event) => event.type), ['entry', 'data', 'end']);
    assert.strictEqual(events[1].bytes.buffer, input.buffer);
    assert.strictEqual(events[1].bytes.length, 1 << 20);
  });
  check('containers', 'fails once and stays failed', () => {
    const reader = new F.ContainerReader({ windows: false });
    assert.strictEqual(errorCode(() => reader.push(Buffer.from('OTSX\x01\x00\x00\x00'))), 'container.bad_magic');
    assert.strictEqual(errorCode(() => reader.push(Uint8Array.of(0))), 'container.bad_magic');
    assert.strictEqual(errorCode(() => reader.end()), 'container.bad_magic');
  });
}

function testVisibleText() {
  const rows = [
    ['report.pdf', 'report.pdf'],
    ['<b>x</b>', '<b>x</b>'],
    ['\x1b]52;c;aGk=\x07', '\\x1b]52;c;aGk=\\x07'],
    ['a\x7f', 'a\\x7f'],
    ['a\u009b31m', 'a\\x9b31m'],
    ['invoice\u202efdp.exe', 'invoice\\u202efdp.exe'],
    ['\u2066\u2069\u200e\u200f\u061c', '\\u2066\\u2069\\u200e\\u200f\\u061c'],
    ['\u200b\ufeff\u00ad', '\\u200b\\ufeff\\xad'],
    ['a\u2028b', 'a\\u2028b'],
    ['a\u{E0041}', 'a\\U000e0041'],
    ['\ud800', '\\ud800'],
    ['a\nb\tc', 'a\\x0ab\\x09c'],
    ['\u05e9\u05dc\u05d5\u05dd \u{1F511}', '\u05e9\u05dc\u05d5\u05dd \u{1F511}'],
  ];
  for (const [input, expected] of rows) check('visibleText', JSON.stringify(input), () => assert.strictEqual(F.visibleText(input), expected));
  check('visibleText', 'line breaks kept when asked, bounded length', () => {
    assert.strictEqual(F.visibleText('a\nb\tc\x1b', { lineBreaks: 'keep' }), 'a\nb\tc\\x1b');
    const shown = F.visibleText('A'.repeat(10 * 1024 * 1024), { maxChars: 100 });
    assert.strictEqual(shown.length, 100);
    assert.ok(shown.endsWith('\u2026'));
    assert.strictEqual(F.visibleText('abc', { maxChars: 3 }), 'abc');
    assert.strictEqual(F.visibleText('\x1b'.repeat(50), { maxChars: 10 }), '\\x1b\\x1b\u2026');
    assert.strictEqual(F.visibleText('\u{1F511}\u{1F511}\u{1F511}', { maxChars: 4 }), '\u{1F511}\u2026');
  });
}

(async () => {
  await F.ready();
  await testKeySchedules();
  testKdfLimits();
  testLinks();
  testPadme();
  await testStreams('stream', vectors.stream);
  await testStreams('streamMalformed', vectors.streamMalformed && vectors.streamMalformed.cases);
  await testStreamExtras();
  testMetadataEnvelopes();
  testMetadataPlaintext();
  testContainers();
  testVisibleText();
  for (const [group, count] of Object.entries(counts)) console.log(group.padEnd(20) + ' ' + count + ' checks');
  if (failures.length > 0) {
    for (const failure of failures) console.error('FAIL ' + failure);
    console.error(failures.length + ' failure(s)');
    process.exit(1);
  }
  console.log('all passed');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
