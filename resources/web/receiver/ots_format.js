// OneTimeShare format v1 for the browser receiver: links, key schedule, proofs, the encrypted stream,
// the metadata envelope and plaintext, and the container. shared/SPEC.md is normative; every error
// carries the SPEC's stable error name in `.code`. No DOM: the page, the Service Worker and the node
// tests use the same file. Cryptography comes from libsodium.js (global `sodium`) and Argon2id from
// hash-wasm (global `hashwasm`), both read from the global object when they are needed.
(function (root, factory) {
  'use strict';
  const api = factory(root);
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.OtsFormat = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function (root) {
  'use strict';

  // Constants of SPEC.md (shared/include/ots/Format.h) -----------------------------------------
  const LINK_SECRET_BYTES = 32;
  const SHARE_ID_BYTES = 16;
  const MAX_LINK_LENGTH = 2048;
  const KEY_BYTES = 32;
  const KDF_CONTEXT = 'OTSv1key';
  const SUBKEY = { stream: 1, metadata: 2, authSeed: 3, commit: 4, headerMac: 5, linkSeed: 6 };
  const ARGON_SALT_BYTES = 16;
  const ARGON_MIN = { iterations: 3, memoryKiB: 65536, parallelism: 1 };
  const ARGON_MAX = { iterations: 64, memoryKiB: 4194304, parallelism: 64 };
  const MAX_PASSWORD_BYTES = 4096;
  const PASSWORD_LABEL = 'onetimeshare/v1/password';
  const PROOF_LABEL = 'onetimeshare/v1/download-proof';
  const LINK_PROOF_LABEL = 'onetimeshare/v1/link-proof';
  const CHALLENGE_NONCE_BYTES = 32;
  const COMMIT_LABEL = 'onetimeshare/v1/stream-key-commitment';
  const STREAM_MAGIC = [0x4f, 0x54, 0x53, 0x53]; // "OTSS"
  const STREAM_VERSION = 1;
  const STREAM_HEADER_BYTES = 104;
  const HEADER_MAC_INPUT_BYTES = 72;
  const CHUNK_PLAIN_BYTES = 65536;
  const CHUNK_INDEX_BYTES = 8;
  const CHUNK_TAG_BYTES = 17;
  const CHUNK_OVERHEAD = CHUNK_INDEX_BYTES + CHUNK_TAG_BYTES;
  const LENGTH_PREFIX_BYTES = 8;
  const MIN_PADDED_BYTES = 4096;
  const MAX_PAYLOAD_BYTES = 2 ** 50;
  const TAG_MESSAGE = 0;
  const TAG_FINAL = 3;
  const METADATA_VERSION = 1;
  const METADATA_LABEL = 'onetimeshare/v1/metadata';
  const METADATA_NONCE_BYTES = 24;
  const METADATA_TAG_BYTES = 16;
  const METADATA_BLOCK_BYTES = 256;
  const MAX_METADATA_PLAIN_BYTES = 1024 * 1024;
  const METADATA_OVERHEAD = 1 + METADATA_NONCE_BYTES + METADATA_TAG_BYTES;
  const MAX_ENVELOPE_BYTES = METADATA_OVERHEAD + MAX_METADATA_PLAIN_BYTES + METADATA_BLOCK_BYTES;
  const MIN_ENVELOPE_BYTES = METADATA_OVERHEAD + METADATA_BLOCK_BYTES;
  const MAX_EXACT_INTEGER = Number.MAX_SAFE_INTEGER; // 2^53 - 1
  const CONTAINER_MAGIC = [0x4f, 0x54, 0x53, 0x43]; // "OTSC"
  const CONTAINER_VERSION = 1;
  const CONTAINER_HEADER_BYTES = 8;
  const ENTRY_END = 0;
  const ENTRY_DIRECTORY = 1;
  const ENTRY_FILE = 2;
  const ENTRY_SYMLINK_RESERVED = 3;
  const ENTRY_FIXED_BYTES = 24;
  const MODE_MASK = 0o777;
  const MAX_PATH_BYTES = 4096;
  const MAX_COMPONENT_BYTES = 255;
  const MAX_ENTRIES = 1000000;
  const MAX_TOTAL_PATH_BYTES = 64 * 1024 * 1024;

  const utf8Encoder = new TextEncoder();
  const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  class OtsError extends Error {
    constructor(code, message) {
      super(message || code);
      this.name = 'OtsError';
      this.code = code;
    }
  }

  function fail(code) {
    throw new OtsError(code);
  }

  function lib() {
    const s = root.sodium;
    if (!s || typeof s.crypto_generichash !== 'function') throw new OtsError('crypto.not_initialized');
    return s;
  }

  function ready() {
    const s = root.sodium;
    if (!s || !s.ready) return Promise.reject(new OtsError('crypto.not_initialized'));
    return s.ready.then(function () {
      return undefined;
    });
  }

  function concatBytes(parts) {
    let length = 0;
    for (const part of parts) length += part.length;
    const out = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  // Bytes from a fetch body, a message or a test: a Uint8Array (any view or an ArrayBuffer is viewed
  // as one, without a copy).
  function asBytes(data) {
    if (data instanceof Uint8Array) return data;
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    throw new OtsError('invalid_argument', 'expected bytes');
  }

  function ascii(text) {
    return utf8Encoder.encode(text);
  }

  // Little-endian 64-bit integers as Numbers; null when the value is above 2^53 - 1.
  function readLe64(bytes, offset) {
    const low = (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
    const high =
      (bytes[offset + 4] | (bytes[offset + 5] << 8) | (bytes[offset + 6] << 16) | (bytes[offset + 7] << 24)) >>> 0;
    if (high >= 0x200000) return null;
    return high * 0x100000000 + low;
  }

  function readI64(bytes, offset) {
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 8);
    const value = view.getBigInt64(0, true);
    return Number(value); // exact within ±2^53; only shown or turned into a DOS time beyond that
  }

  // base64url (RFC 4648 §5), unpadded and canonical -------------------------------------------
  const B64U_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const B64U_VALUES = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64U_ALPHABET.length; i++) B64U_VALUES[B64U_ALPHABET.charCodeAt(i)] = i;

  function b64uEncodedLength(byteLength) {
    return Math.floor(byteLength / 3) * 4 + [0, 2, 3][byteLength % 3];
  }

  const b64u = {
    encode(bytes) {
      let out = '';
      let i = 0;
      for (; i + 3 <= bytes.length; i += 3) {
        const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
        out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63] + B64U_ALPHABET[(n >> 6) & 63] + B64U_ALPHABET[n & 63];
      }
      const rest = bytes.length - i;
      if (rest === 1) {
        const n = bytes[i] << 16;
        out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63];
      } else if (rest === 2) {
        const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
        out += B64U_ALPHABET[n >> 18] + B64U_ALPHABET[(n >> 12) & 63] + B64U_ALPHABET[(n >> 6) & 63];
      }
      return out;
    },
    // Exactly byteLength bytes in their one canonical spelling (unused low bits zero), else bad_base64url.
    decode(text, byteLength) {
      if (typeof text !== 'string' || text.length !== b64uEncodedLength(byteLength)) fail('bad_base64url');
      const out = new Uint8Array(byteLength);
      let bits = 0;
      let accumulator = 0;
      let written = 0;
      for (let i = 0; i < text.length; i++) {
        const code = text.charCodeAt(i);
        const value = code < 128 ? B64U_VALUES[code] : -1;
        if (value < 0) fail('bad_base64url');
        accumulator = ((accumulator << 6) | value) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          out[written++] = (accumulator >> bits) & 0xff;
        }
      }
      if ((accumulator & ((1 << bits) - 1)) !== 0) fail('bad_base64url');
      return out;
    },
  };

  function tryDecode(text, byteLength) {
    try {
      return b64u.decode(text, byteLength);
    } catch (error) {
      return null;
    }
  }

  // §2 Share links ------------------------------------------------------------------------------
  // The C++ parser works on octets; so does this one: the text is turned into UTF-8 and each octet
  // into one character of a "binary" string, so lengths, ranges and positions are octets.
  function toOctetString(text) {
    const bytes = utf8Encoder.encode(text);
    let out = '';
    for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    return out;
  }

  function isAsciiWhitespace(c) {
    return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
  }
  function isDigit(c) {
    return c >= '0' && c <= '9';
  }
  function isAlpha(c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
  function isPrintable(c) {
    return c >= '!' && c <= '~';
  }
  function hexValue(c) {
    if (isDigit(c)) return c.charCodeAt(0) - 48;
    if (c >= 'a' && c <= 'f') return c.charCodeAt(0) - 87;
    if (c >= 'A' && c <= 'F') return c.charCodeAt(0) - 55;
    return -1;
  }
  function lowerAscii(text) {
    return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  }

  // Strict dotted quad: four decimal parts 0–255 without leading zeros; null otherwise.
  function parseIpv4(text) {
    const out = [];
    let i = 0;
    for (let part = 0; part < 4; part++) {
      if (part > 0) {
        if (i >= text.length || text[i] !== '.') return null;
        ++i;
      }
      const start = i;
      let value = 0;
      while (i < text.length && isDigit(text[i]) && i - start < 3) {
        value = value * 10 + (text.charCodeAt(i) - 48);
        ++i;
      }
      const length = i - start;
      if (length === 0 || (length > 1 && text[start] === '0') || value > 255) return null;
      out.push(value);
    }
    return i === text.length ? out : null;
  }

  // RFC 4291 §2.2 text forms as the WHATWG URL parser reads them (no zone id); 8 groups or null.
  function parseIpv6(text) {
    const out = [0, 0, 0, 0, 0, 0, 0, 0];
    const n = text.length;
    let i = 0;
    let piece = 0;
    let compress = -1;
    if (n === 0) return null;
    if (text[0] === ':') {
      if (n < 2 || text[1] !== ':') return null;
      i = 2;
      piece = 1;
      compress = piece;
    }
    while (i < n) {
      if (piece === 8) return null;
      if (text[i] === ':') {
        if (compress !== -1) return null;
        ++i;
        ++piece;
        compress = piece;
        continue;
      }
      let value = 0;
      let length = 0;
      while (length < 4 && i < n && hexValue(text[i]) >= 0) {
        value = value * 16 + hexValue(text[i]);
        ++i;
        ++length;
      }
      if (length === 0) return null;
      if (i < n && text[i] === '.') {
        if (piece > 6) return null;
        const tail = parseIpv4(text.slice(i - length));
        if (!tail) return null;
        out[piece++] = (tail[0] << 8) | tail[1];
        out[piece++] = (tail[2] << 8) | tail[3];
        break;
      }
      if (i < n) {
        if (text[i] !== ':') return null;
        ++i;
        if (i === n) return null;
      }
      out[piece++] = value;
    }
    if (compress === -1) return piece === 8 ? out : null;
    let swaps = piece - compress;
    let index = 7;
    while (index !== 0 && swaps > 0) {
      const t = out[index];
      out[index] = out[compress + swaps - 1];
      out[compress + swaps - 1] = t;
      --index;
      --swaps;
    }
    return out;
  }

  // RFC 5952 §4/§5 text.
  function formatIpv6(a) {
    if (a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0 && a[4] === 0 && a[5] === 0xffff)
      return '::ffff:' + [a[6] >> 8, a[6] & 0xff, a[7] >> 8, a[7] & 0xff].join('.');
    let bestStart = 8;
    let bestLength = 1;
    for (let i = 0; i < 8; ) {
      if (a[i] !== 0) {
        ++i;
        continue;
      }
      let end = i;
      while (end < 8 && a[end] === 0) ++end;
      if (end - i > bestLength) {
        bestStart = i;
        bestLength = end - i;
      }
      i = end;
    }
    let out = '';
    let afterCompression = false;
    for (let i = 0; i < 8; ) {
      if (i === bestStart) {
        out += '::';
        i += bestLength;
        afterCompression = true;
        continue;
      }
      if (i !== 0 && !afterCompression) out += ':';
      afterCompression = false;
      out += a[i].toString(16);
      ++i;
    }
    return out;
  }

  function isHostName(text) {
    if (text.length === 0 || text.length > 253) return false;
    let labelStart = 0;
    for (let i = 0; i <= text.length; i++) {
      if (i === text.length || text[i] === '.') {
        const label = text.slice(labelStart, i);
        if (label.length === 0 || label.length > 63 || label[0] === '-' || label[label.length - 1] === '-') return false;
        labelStart = i + 1;
      } else if (!isAlpha(text[i]) && !isDigit(text[i]) && text[i] !== '-') {
        return false;
      }
    }
    return true;
  }

  // A last label that WHATWG URL parsers read as a number ("1.2.3", "x.0x10").
  function endsInNumber(name) {
    let label = name.slice(name.lastIndexOf('.') + 1);
    if (label.length >= 2 && label[0] === '0' && (label[1] === 'x' || label[1] === 'X')) {
      label = label.slice(2);
      for (const c of label) if (hexValue(c) < 0) return false;
      return true;
    }
    if (label.length === 0) return false;
    for (const c of label) if (!isDigit(c)) return false;
    return true;
  }

  // The canonical spelling of a host, or null when it is not one.
  function normaliseHost(host, ipv6) {
    if (ipv6) {
      const address = parseIpv6(host);
      return address ? formatIpv6(address) : null;
    }
    if (!parseIpv4(host) && (!isHostName(host) || endsInNumber(host))) return null;
    return lowerAscii(host);
  }

  function isLoopbackHost(host) {
    if (host.toLowerCase() === 'localhost') return true;
    if (host.indexOf(':') !== -1) {
      const address = parseIpv6(host);
      return !!address && address.every((group, i) => group === (i === 7 ? 1 : 0));
    }
    const v4 = parseIpv4(host);
    return !!v4 && v4[0] === 127;
  }

  function parsePort(digits) {
    if (digits.length === 0 || digits.length > 5 || digits[0] === '0') return null;
    let value = 0;
    for (const c of digits) {
      if (!isDigit(c)) return null;
      value = value * 10 + (c.charCodeAt(0) - 48);
    }
    return value > 65535 ? null : value;
  }

  function origin(scheme, host, port) {
    const bracketed = host.indexOf(':') !== -1 ? '[' + host + ']' : host;
    return scheme + '://' + bracketed + (port ? ':' + port : '');
  }

  function describeLink(transport, host, port, shareIdBytes, secret) {
    const webScheme = transport === 'http' ? 'http' : 'https';
    const shareId = b64u.encode(shareIdBytes);
    const tail = '/s/' + shareId + '#' + b64u.encode(secret);
    const webUrl = origin(webScheme, host, port) + tail;
    // The app form of a loopback host means http, so an https relay on one has only its web URL.
    const appUrl = transport === 'https' && isLoopbackHost(host) ? webUrl : origin('onetimeshare', host, port) + tail;
    return {
      transport,
      host,
      port,
      shareId,
      shareIdBytes,
      secret,
      webUrl,
      appUrl,
      relayBaseUrl: origin(webScheme, host, port),
    };
  }

  // SPEC §2.3, step by step; the first failing step decides the error.
  function parseLink(input) {
    let text = toOctetString(String(input));
    let start = 0;
    let end = text.length;
    while (start < end && isAsciiWhitespace(text[start])) ++start;
    while (end > start && isAsciiWhitespace(text[end - 1])) --end;
    text = text.slice(start, end);
    if (text.length === 0) fail('link.empty');
    if (text.length > MAX_LINK_LENGTH) fail('link.too_long');

    const schemeEnd = text.indexOf('://');
    if (schemeEnd === -1) fail('link.bad_scheme');
    const scheme = text.slice(0, schemeEnd).toLowerCase();
    const appScheme = scheme === 'onetimeshare';
    let transport;
    if (appScheme || scheme === 'https') transport = 'https';
    else if (scheme === 'http') transport = 'http';
    else fail('link.bad_scheme');
    // toLowerCase() maps some non-ASCII letters onto ASCII (U+212A KELVIN SIGN → "k"); only octets count.
    if (!/^[A-Za-z]+$/.test(text.slice(0, schemeEnd))) fail('link.bad_scheme');

    const rest = text.slice(schemeEnd + 3);
    const hash = rest.indexOf('#');
    const beforeFragment = hash === -1 ? rest : rest.slice(0, hash);
    const authorityEnd = beforeFragment.search(/[/?]/);
    const authority = authorityEnd === -1 ? beforeFragment : beforeFragment.slice(0, authorityEnd);
    const pathAndQuery = authorityEnd === -1 ? '' : beforeFragment.slice(authorityEnd);
    const question = pathAndQuery.indexOf('?');
    const path = question === -1 ? pathAndQuery : pathAndQuery.slice(0, question);

    if (authority.indexOf('@') !== -1) fail('link.has_user_info');
    let hostText;
    let afterHost;
    const bracketed = authority.length > 0 && authority[0] === '[';
    if (bracketed) {
      const close = authority.indexOf(']');
      if (close === -1) fail('link.bad_host');
      hostText = authority.slice(1, close);
      afterHost = authority.slice(close + 1);
      if (afterHost.length > 0 && afterHost[0] !== ':') fail('link.bad_host');
    } else {
      const colon = authority.indexOf(':');
      hostText = colon === -1 ? authority : authority.slice(0, colon);
      afterHost = colon === -1 ? '' : authority.slice(colon);
      if (afterHost.indexOf(':', 1) !== -1) fail('link.bad_host');
    }
    const host = normaliseHost(hostText, bracketed);
    if (host === null) fail('link.bad_host');
    if (appScheme && isLoopbackHost(host)) transport = 'http';
    let port = 0;
    if (afterHost.length > 0) {
      const parsed = parsePort(afterHost.slice(1));
      if (parsed === null) fail('link.bad_port');
      port = parsed === (transport === 'http' ? 80 : 443) ? 0 : parsed;
    }
    if (transport === 'http' && !isLoopbackHost(host)) fail('link.insecure_http');

    if (path.slice(0, 3) !== '/s/') fail('link.bad_path');
    const idText = path.slice(3);
    if (idText.length === 0 || idText === '.' || idText === '..') fail('link.bad_path');
    for (const c of idText) if (c === '/' || c === '%' || !isPrintable(c)) fail('link.bad_path');
    const shareIdBytes = tryDecode(idText, SHARE_ID_BYTES);
    if (!shareIdBytes) fail('link.bad_share_id');
    if (question !== -1) fail('link.has_query');
    if (hash === -1 || hash + 1 === rest.length) fail('link.missing_secret');
    const secret = tryDecode(rest.slice(hash + 1), LINK_SECRET_BYTES);
    if (!secret) fail('link.bad_secret');
    return describeLink(transport, host, port, shareIdBytes, secret);
  }

  // The page's own location: /s/<id> and #<secret>, as location.pathname and location.hash give them.
  function parsePageLocation(pathname, hash) {
    const path = String(pathname || '');
    if (path.slice(0, 3) !== '/s/') fail('link.bad_share_id');
    const idText = path.slice(3);
    const shareIdBytes = tryDecode(idText, SHARE_ID_BYTES);
    if (!shareIdBytes) fail('link.bad_share_id');
    let fragment = String(hash || '');
    if (fragment[0] === '#') fragment = fragment.slice(1);
    if (fragment.length === 0) fail('link.missing_secret');
    const secret = tryDecode(fragment, LINK_SECRET_BYTES);
    if (!secret) fail('link.bad_secret');
    return { shareId: idText, shareIdBytes, secret };
  }

  // §3 Key schedule -----------------------------------------------------------------------------
  function checkKdf(passwordByteLength, params) {
    if (passwordByteLength === 0) fail('key.password_empty');
    if (passwordByteLength > MAX_PASSWORD_BYTES) fail('invalid_argument');
    const t = params && params.iterations;
    const m = params && params.memoryKiB;
    const p = params && params.parallelism;
    for (const value of [t, m, p]) if (!Number.isSafeInteger(value) || value < 0) fail('invalid_argument');
    if (t < ARGON_MIN.iterations || m < ARGON_MIN.memoryKiB || p < ARGON_MIN.parallelism) fail('key.kdf_params_too_weak');
    if (t > ARGON_MAX.iterations || m > ARGON_MAX.memoryKiB || p > ARGON_MAX.parallelism) fail('key.kdf_params_too_costly');
    if (m < 8 * p) fail('key.kdf_params_too_weak');
  }

  function checkSecret(secret) {
    if (!(secret instanceof Uint8Array) || secret.length !== LINK_SECRET_BYTES) fail('invalid_argument');
  }

  // K = S without a password; with one, K = BLAKE2b-256(key = S, "onetimeshare/v1/password" || Argon2id(P)).
  async function deriveShareKey(secret, password, kdf) {
    checkSecret(secret);
    if (!kdf) {
      if (password !== null && password !== undefined && password !== '') fail('invalid_argument');
      return new Uint8Array(secret);
    }
    const passwordBytes = utf8Encoder.encode(String(password === null || password === undefined ? '' : password).normalize('NFC'));
    checkKdf(passwordBytes.length, kdf);
    const salt = kdf.salt instanceof Uint8Array ? kdf.salt : b64u.decode(kdf.salt, ARGON_SALT_BYTES);
    if (salt.length !== ARGON_SALT_BYTES) fail('invalid_argument');
    const argon = root.hashwasm;
    if (!argon || typeof argon.argon2id !== 'function') fail('crypto.not_initialized');
    let stretched;
    try {
      stretched = await argon.argon2id({
        password: passwordBytes,
        salt,
        iterations: kdf.iterations,
        memorySize: kdf.memoryKiB,
        parallelism: kdf.parallelism,
        hashLength: KEY_BYTES,
        outputType: 'binary',
      });
    } catch (error) {
      throw new OtsError('key.kdf_failed', 'Argon2id failed: ' + (error && error.message ? error.message : error));
    } finally {
      passwordBytes.fill(0);
    }
    const message = concatBytes([ascii(PASSWORD_LABEL), stretched]);
    const key = lib().crypto_generichash(KEY_BYTES, message, secret);
    message.fill(0);
    stretched.fill(0);
    return key;
  }

  function deriveSubkey(key, id) {
    return lib().crypto_kdf_derive_from_key(KEY_BYTES, id, KDF_CONTEXT, key);
  }

  function deriveKeys(shareKey, secret) {
    checkSecret(secret);
    if (!(shareKey instanceof Uint8Array) || shareKey.length !== KEY_BYTES) fail('invalid_argument');
    const s = lib();
    const keys = {
      streamKey: deriveSubkey(shareKey, SUBKEY.stream),
      metadataKey: deriveSubkey(shareKey, SUBKEY.metadata),
      authSeed: deriveSubkey(shareKey, SUBKEY.authSeed),
      commitKey: deriveSubkey(shareKey, SUBKEY.commit),
      headerMacKey: deriveSubkey(shareKey, SUBKEY.headerMac),
      // From S, not K: it proves the link and carries nothing about a password (§3.5).
      linkSeed: deriveSubkey(secret, SUBKEY.linkSeed),
    };
    const auth = s.crypto_sign_seed_keypair(keys.authSeed);
    const link = s.crypto_sign_seed_keypair(keys.linkSeed);
    keys.authPublicKey = auth.publicKey;
    keys.authSecretKey = auth.privateKey;
    keys.linkPublicKey = link.publicKey;
    keys.linkSecretKey = link.privateKey;
    return keys;
  }

  function proof(keys, shareIdBytes, nonceBytes) {
    if (!(shareIdBytes instanceof Uint8Array) || shareIdBytes.length !== SHARE_ID_BYTES) fail('invalid_argument');
    if (!(nonceBytes instanceof Uint8Array) || nonceBytes.length !== CHALLENGE_NONCE_BYTES) fail('invalid_argument');
    const s = lib();
    return {
      signature: s.crypto_sign_detached(concatBytes([ascii(PROOF_LABEL), shareIdBytes, nonceBytes]), keys.authSecretKey),
      linkSignature: s.crypto_sign_detached(
        concatBytes([ascii(LINK_PROOF_LABEL), shareIdBytes, nonceBytes]),
        keys.linkSecretKey
      ),
    };
  }

  // §4.3 Padding arithmetic ------------------------------------------------------------------------
  function floorLog2(x) {
    const high = Math.floor(x / 0x100000000);
    return high > 0 ? 63 - Math.clz32(high) : 31 - Math.clz32(x >>> 0);
  }

  function padme(x) {
    if (x < 2) return x;
    const exponent = floorLog2(x);
    const significant = floorLog2(exponent) + 1;
    const step = 2 ** (exponent - significant);
    return Math.ceil(x / step) * step;
  }

  function paddedSize(payloadLength) {
    return Math.max(padme(LENGTH_PREFIX_BYTES + payloadLength), MIN_PADDED_BYTES);
  }

  const MAX_PADDED_BYTES = paddedSize(MAX_PAYLOAD_BYTES);

  function chunkCount(padded) {
    return Math.ceil(padded / CHUNK_PLAIN_BYTES);
  }

  function ciphertextSize(padded) {
    return STREAM_HEADER_BYTES + chunkCount(padded) * CHUNK_OVERHEAD + padded;
  }

  function isValidCiphertextSize(n) {
    if (!Number.isSafeInteger(n) || n <= STREAM_HEADER_BYTES) return false;
    const framed = n - STREAM_HEADER_BYTES;
    const chunks = Math.ceil(framed / (CHUNK_PLAIN_BYTES + CHUNK_OVERHEAD));
    if (framed <= chunks * CHUNK_OVERHEAD) return false;
    const padded = framed - chunks * CHUNK_OVERHEAD;
    return chunkCount(padded) === chunks && padded >= MIN_PADDED_BYTES && padme(padded) === padded && padded <= MAX_PADDED_BYTES;
  }

  // True when bytes[from, to) are all zero; word-wise where the buffer allows it.
  function allZero(bytes, from, to) {
    let i = from;
    const absolute = bytes.byteOffset + i;
    const head = Math.min(to, i + ((4 - (absolute & 3)) & 3));
    let acc = 0;
    for (; i < head; i++) acc |= bytes[i];
    const words = (to - i) >> 2;
    if (words > 0) {
      const view = new Int32Array(bytes.buffer, bytes.byteOffset + i, words);
      for (let w = 0; w < words; w++) acc |= view[w];
      i += words * 4;
    }
    for (; i < to; i++) acc |= bytes[i];
    return acc === 0;
  }

  // §4 StreamReader ------------------------------------------------------------------------------
  // Push ciphertext as it arrives; each push returns the payload of the chunks it authenticated. The
  // output is not final until end() has passed (§4.4 step 6).
  class StreamReader {
    constructor(keys, expectedCiphertextSize) {
      this._keys = keys;
      this._expected =
        expectedCiphertextSize === undefined || expectedCiphertextSize === null ? null : Number(expectedCiphertextSize);
      this._header = new Uint8Array(STREAM_HEADER_BYTES);
      this._headerFill = 0;
      this._pending = null; // a frame split across pushes
      this._pendingFill = 0;
      this._state = null;
      this._paddedSize = 0;
      this._chunks = 0;
      this._next = 0;
      this._error = null;
      this.consumed = 0;
      this.complete = false;
      this.payloadLength = null;
      this.paddedSize = null;
    }

    get failed() {
      return this._error !== null;
    }

    _fail(code, message) {
      this._error = new OtsError(code, message);
      this._pending = null;
      this._wipeState();
      throw this._error;
    }

    _wipeState() {
      const module = root.sodium && root.sodium.libsodium;
      if (this._state !== null && module && module.HEAPU8 && typeof module._free === 'function') {
        module.HEAPU8.fill(0, this._state, this._state + 52);
        module._free(this._state);
      }
      this._state = null;
    }

    push(input) {
      if (this._error) throw this._error;
      const data = asBytes(input);
      const out = [];
      let offset = 0;
      const length = data.length;
      while (offset < length) {
        if (this.complete) this._fail('stream.trailing_data', length - offset + ' bytes after the end of the stream');
        if (this._state === null) {
          offset += this._takeHeader(data, offset);
          continue;
        }
        const frameSize = this._frameSize();
        if (this._pendingFill === 0 && length - offset >= frameSize) {
          this._openFrame(data.subarray(offset, offset + frameSize), out);
          offset += frameSize;
          continue;
        }
        if (this._pending === null) this._pending = new Uint8Array(CHUNK_PLAIN_BYTES + CHUNK_OVERHEAD);
        const take = Math.min(length - offset, frameSize - this._pendingFill);
        this._pending.set(data.subarray(offset, offset + take), this._pendingFill);
        this._pendingFill += take;
        offset += take;
        if (this._pendingFill === frameSize) {
          this._pendingFill = 0;
          this._openFrame(this._pending.subarray(0, frameSize), out);
        }
      }
      this.consumed += length;
      return out;
    }

    end() {
      if (this._error) throw this._error;
      if (!this.complete)
        this._fail('stream.truncated', this._state === null ? 'the input ended in the header' : 'the input ended at chunk ' + this._next);
    }

    _frameSize() {
      const plain = this._next + 1 < this._chunks ? CHUNK_PLAIN_BYTES : this._paddedSize - (this._chunks - 1) * CHUNK_PLAIN_BYTES;
      return CHUNK_OVERHEAD + plain;
    }

    _takeHeader(data, offset) {
      const take = Math.min(data.length - offset, STREAM_HEADER_BYTES - this._headerFill);
      const header = this._header;
      header.set(data.subarray(offset, offset + take), this._headerFill);
      this._headerFill += take;
      // A foreign file or a newer version is reported as soon as the bytes that show it arrive.
      for (let i = 0; i < Math.min(this._headerFill, 4); i++) if (header[i] !== STREAM_MAGIC[i]) this._fail('stream.bad_magic');
      if (this._headerFill > 4 && header[4] !== STREAM_VERSION) this._fail('stream.unsupported_version');
      if (this._headerFill === STREAM_HEADER_BYTES) this._acceptHeader();
      return take;
    }

    _acceptHeader() {
      const s = lib();
      const header = this._header;
      const commitment = s.crypto_generichash(32, ascii(COMMIT_LABEL), this._keys.commitKey);
      if (!s.memcmp(commitment, header.subarray(16, 48))) this._fail('stream.wrong_key');
      const mac = s.crypto_generichash(32, header.subarray(0, HEADER_MAC_INPUT_BYTES), this._keys.headerMacKey);
      if (!s.memcmp(mac, header.subarray(HEADER_MAC_INPUT_BYTES, STREAM_HEADER_BYTES))) this._fail('stream.header_tampered');
      // Authenticated from here on: what is wrong now was written wrong, not altered.
      if (header[5] !== 0 || header[6] !== 0 || header[7] !== 0) this._fail('stream.malformed', 'reserved header bytes are not zero');
      const padded = readLe64(header, 8);
      if (padded === null || padded < MIN_PADDED_BYTES || padded > MAX_PADDED_BYTES) this._fail('stream.malformed', 'padded size out of range');
      this._paddedSize = padded;
      this.paddedSize = padded;
      this._chunks = chunkCount(padded);
      const total = ciphertextSize(padded);
      // The relay announced the ciphertext's size: a header that says otherwise cannot end well.
      if (this._expected !== null && total > this._expected) this._fail('stream.truncated', 'the relay holds fewer bytes than the stream');
      if (this._expected !== null && total < this._expected) this._fail('stream.trailing_data', 'the relay holds more bytes than the stream');
      try {
        this._state = s.crypto_secretstream_xchacha20poly1305_init_pull(header.subarray(48, 72), this._keys.streamKey);
      } catch (error) {
        this._fail('stream.header_tampered');
      }
    }

    _openFrame(frame, out) {
      const index = this._next;
      const low = (frame[0] | (frame[1] << 8) | (frame[2] << 16) | (frame[3] << 24)) >>> 0;
      const high = (frame[4] | (frame[5] << 8) | (frame[6] << 16) | (frame[7] << 24)) >>> 0;
      if (low !== index % 0x100000000 || high !== Math.floor(index / 0x100000000)) this._fail('stream.reordered', 'chunk ' + index);
      const s = lib();
      const result = s.crypto_secretstream_xchacha20poly1305_pull(
        this._state,
        frame.subarray(CHUNK_INDEX_BYTES),
        frame.subarray(0, CHUNK_INDEX_BYTES)
      );
      if (!result) this._fail('stream.chunk_tampered', 'chunk ' + index);
      const last = index + 1 === this._chunks;
      if (result.tag !== (last ? TAG_FINAL : TAG_MESSAGE)) this._fail('stream.malformed', 'unexpected chunk tag');
      const plain = result.message;
      let start = 0;
      if (index === 0) {
        const payload = readLe64(plain, 0);
        if (payload === null || payload > MAX_PAYLOAD_BYTES || paddedSize(payload) !== this._paddedSize)
          this._fail('stream.malformed', 'payload length does not match the padded size');
        this.payloadLength = payload;
        start = LENGTH_PREFIX_BYTES;
      }
      // Payload occupies plaintext offsets [8, 8 + L); everything else is padding and must be zero.
      const chunkStart = index * CHUNK_PLAIN_BYTES;
      const payloadEnd = LENGTH_PREFIX_BYTES + this.payloadLength;
      const here = Math.max(0, Math.min(plain.length, payloadEnd - chunkStart));
      const payloadStop = Math.max(start, here);
      if (!allZero(plain, payloadStop, plain.length)) this._fail('stream.malformed', 'non-zero padding');
      this._next = index + 1;
      if (last) {
        this.complete = true;
        this._wipeState();
      }
      if (payloadStop > start) out.push(plain.subarray(start, payloadStop));
    }
  }

  // §5 Metadata envelope ---------------------------------------------------------------------------
  function openMetadata(keys, envelope) {
    if (!(envelope instanceof Uint8Array)) fail('invalid_argument');
    if (envelope.length === 0) fail('metadata.truncated');
    if (envelope[0] !== METADATA_VERSION) fail('metadata.unsupported_version');
    if (envelope.length > MAX_ENVELOPE_BYTES) fail('metadata.too_large');
    if (envelope.length < MIN_ENVELOPE_BYTES) fail('metadata.truncated');
    const s = lib();
    const ad = concatBytes([ascii(METADATA_LABEL), new Uint8Array([METADATA_VERSION])]);
    let plain;
    try {
      plain = s.crypto_aead_xchacha20poly1305_ietf_decrypt(
        null,
        envelope.subarray(1 + METADATA_NONCE_BYTES),
        ad,
        envelope.subarray(1, 1 + METADATA_NONCE_BYTES),
        keys.metadataKey
      );
    } catch (error) {
      fail('metadata.auth_failed');
    }
    // ISO/IEC 7816-4 padding: one 0x80, then zeros, 1 to 256 bytes in all, to a multiple of 256.
    if (plain.length % METADATA_BLOCK_BYTES !== 0 || plain.length === 0) fail('metadata.malformed');
    let marker = plain.length - 1;
    while (marker >= plain.length - METADATA_BLOCK_BYTES && plain[marker] === 0) --marker;
    if (marker < plain.length - METADATA_BLOCK_BYTES || plain[marker] !== 0x80) fail('metadata.malformed');
    return plain.subarray(0, marker);
  }

  // §5.1 Metadata plaintext ------------------------------------------------------------------------
  // JSON.parse reads 1.0, 1e0 and -0 as integers; the integer fields must be spelled with digits only,
  // so the (already valid) text is scanned for the spelling of those fields. Returns the first
  // offending field or null.
  function integerSpellingError(json) {
    const stack = [];
    const integerField = () => {
      if (stack.length === 1 && stack[0].isObject) {
        const key = stack[0].key;
        if (key === 'v' || key === 'fileCount' || key === 'folderCount' || key === 'totalBytes') return key;
      }
      if (stack.length === 3 && stack[0].key === 'entries' && !stack[1].isObject && stack[2].isObject && stack[2].key === 'size')
        return 'entries.size';
      return null;
    };
    const size = json.length;
    for (let i = 0; i < size; ) {
      const c = json[i];
      if (c === '{' || c === '[') {
        stack.push({ isObject: c === '{', key: null });
        ++i;
      } else if (c === '}' || c === ']') {
        stack.pop();
        ++i;
      } else if (c === '"') {
        let end = i + 1;
        while (end < size && json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
        const token = json.slice(i, end + 1);
        i = end + 1;
        let next = i;
        while (next < size && (json[next] === ' ' || json[next] === '\t' || json[next] === '\n' || json[next] === '\r')) ++next;
        if (stack.length > 0 && stack[stack.length - 1].isObject && json[next] === ':')
          stack[stack.length - 1].key = JSON.parse(token); // "\u0076" is "v"
      } else if (c === '-' || (c >= '0' && c <= '9')) {
        let end = i;
        let digitsOnly = true;
        while (end < size && '+-.eE0123456789'.indexOf(json[end]) !== -1) {
          digitsOnly = digitsOnly && json[end] >= '0' && json[end] <= '9';
          ++end;
        }
        const field = integerField();
        if (field !== null && !digitsOnly) return field;
        i = end;
      } else {
        ++i;
      }
    }
    return null;
  }

  function malformed(field) {
    throw new OtsError('metadata.malformed', 'metadata field "' + field + '" is missing or invalid');
  }

  function unsignedField(value, maximum) {
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= maximum;
  }

  function parseMetadata(bytes) {
    if (!(bytes instanceof Uint8Array)) fail('invalid_argument');
    if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
      throw new OtsError('metadata.malformed', 'the metadata starts with a byte order mark');
    let text;
    let document;
    try {
      text = utf8Decoder.decode(bytes);
      document = JSON.parse(text);
    } catch (error) {
      throw new OtsError('metadata.malformed', 'the metadata is not a JSON object');
    }
    if (document === null || typeof document !== 'object' || Array.isArray(document))
      throw new OtsError('metadata.malformed', 'the metadata is not a JSON object');
    const badSpelling = integerSpellingError(text);
    if (badSpelling !== null) malformed(badSpelling);
    const has = (object, key) => Object.prototype.hasOwnProperty.call(object, key);

    if (!unsignedField(document.v, MAX_EXACT_INTEGER)) malformed('v');
    if (document.v !== METADATA_VERSION) throw new OtsError('metadata.unsupported_version', 'metadata version ' + document.v);
    const kind = document.kind;
    if (kind !== 'files' && kind !== 'text') malformed('kind');
    if (!Array.isArray(document.entries)) malformed('entries');
    const entries = [];
    for (const item of document.entries) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) malformed('entries');
      if (typeof item.path !== 'string' || item.path.length === 0) malformed('entries.path');
      if (item.type === 'folder') {
        entries.push({ path: item.path, type: 'folder' });
      } else if (item.type === 'file') {
        if (!unsignedField(item.size, MAX_EXACT_INTEGER)) malformed('entries.size');
        entries.push({ path: item.path, type: 'file', size: item.size });
      } else {
        malformed('entries.type');
      }
    }
    if (!unsignedField(document.fileCount, MAX_ENTRIES)) malformed('fileCount');
    if (!unsignedField(document.folderCount, MAX_ENTRIES)) malformed('folderCount');
    if (!unsignedField(document.totalBytes, MAX_EXACT_INTEGER)) malformed('totalBytes');
    if (typeof document.truncated !== 'boolean') malformed('truncated');
    if (has(document, 'note') && typeof document.note !== 'string') malformed('note');
    const metadata = {
      v: document.v,
      kind,
      entries,
      fileCount: document.fileCount,
      folderCount: document.folderCount,
      totalBytes: document.totalBytes,
      truncated: document.truncated,
    };
    if (has(document, 'note')) metadata.note = document.note;
    // A text share is exactly one file, and the counts say so (§5.1).
    if (
      kind === 'text' &&
      !(
        entries.length === 1 &&
        entries[0].type === 'file' &&
        metadata.fileCount === 1 &&
        metadata.folderCount === 0 &&
        !metadata.truncated &&
        metadata.totalBytes === entries[0].size
      )
    )
      malformed('kind');
    return metadata;
  }

  // §6.3 Path rules --------------------------------------------------------------------------------
  // Unicode 15.1 general category Cf, the list of SPEC §6.3.
  const FORMAT_RANGES = [
    [0x00ad, 0x00ad], [0x0600, 0x0605], [0x061c, 0x061c], [0x06dd, 0x06dd], [0x070f, 0x070f],
    [0x0890, 0x0891], [0x08e2, 0x08e2], [0x180e, 0x180e], [0x200b, 0x200f], [0x202a, 0x202e],
    [0x2060, 0x2064], [0x2066, 0x206f], [0xfeff, 0xfeff], [0xfff9, 0xfffb], [0x110bd, 0x110bd],
    [0x110cd, 0x110cd], [0x13430, 0x1343f], [0x1bca0, 0x1bca3], [0x1d173, 0x1d17a], [0xe0001, 0xe0001],
    [0xe0020, 0xe007f],
  ];

  function isFormatCharacter(codePoint) {
    for (const range of FORMAT_RANGES) if (codePoint >= range[0] && codePoint <= range[1]) return true;
    return false;
  }

  // Code points of valid, shortest-form UTF-8 without surrogates; null otherwise.
  function decodeUtf8Strict(bytes) {
    const out = [];
    for (let pos = 0; pos < bytes.length; ) {
      const lead = bytes[pos];
      let length;
      let smallest;
      let codePoint;
      if (lead < 0x80) {
        out.push(lead);
        ++pos;
        continue;
      } else if ((lead & 0xe0) === 0xc0) {
        length = 2;
        smallest = 0x80;
        codePoint = lead & 0x1f;
      } else if ((lead & 0xf0) === 0xe0) {
        length = 3;
        smallest = 0x800;
        codePoint = lead & 0x0f;
      } else if ((lead & 0xf8) === 0xf0) {
        length = 4;
        smallest = 0x10000;
        codePoint = lead & 0x07;
      } else {
        return null;
      }
      if (bytes.length - pos < length) return null;
      for (let i = 1; i < length; i++) {
        const next = bytes[pos + i];
        if ((next & 0xc0) !== 0x80) return null;
        codePoint = (codePoint << 6) | (next & 0x3f);
      }
      if (codePoint < smallest || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return null;
      out.push(codePoint);
      pos += length;
    }
    return out;
  }

  const WINDOWS_DEVICES = ['con', 'prn', 'aux', 'nul', 'conin$', 'conout$'];

  function isWindowsReservedName(component) {
    const dot = component.indexOf('.');
    const base = lowerAscii((dot === -1 ? component : component.slice(0, dot)).replace(/ +$/, ''));
    if (WINDOWS_DEVICES.indexOf(base) !== -1) return true;
    const prefix = base.slice(0, 3);
    return (prefix === 'com' || prefix === 'lpt') && /^[1-9\u00b9\u00b2\u00b3]$/.test(base.slice(3));
  }

  // checkPath for a string (a name the page is about to give a download): throws the path.* error.
  function checkEntryPath(text, windows) {
    checkPath(new TextEncoder().encode(String(text)), Boolean(windows));
  }

  // SPEC §6.3: the portable rules, then (windows) the Windows rules, each table in its order; the
  // first failing row decides. Returns the path as a string.
  function checkPath(bytes, windows) {
    if (bytes.length === 0) fail('path.empty');
    if (bytes.length > MAX_PATH_BYTES) fail('path.too_long');
    let componentStart = 0;
    for (let i = 0; i <= bytes.length; i++) {
      if (i === bytes.length || bytes[i] === 0x2f) {
        if (i - componentStart > MAX_COMPONENT_BYTES) fail('path.too_long');
        componentStart = i + 1;
      }
    }
    if (bytes[0] === 0x2f) fail('path.absolute');
    if (bytes.indexOf(0) !== -1) fail('path.nul');
    const codePoints = decodeUtf8Strict(bytes);
    if (codePoints === null) fail('path.invalid_utf8');
    for (const cp of codePoints) if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) fail('path.control_character');
    for (const cp of codePoints) if (isFormatCharacter(cp)) fail('path.format_character');
    if (bytes.indexOf(0x5c) !== -1) fail('path.backslash');
    const path = utf8Decoder.decode(bytes);
    const components = path.split('/');
    for (const component of components) if (component.length === 0) fail('path.empty_component');
    for (const component of components) if (component === '.' || component === '..') fail('path.traversal');
    if (windows) {
      if (/[<>:"|?*]/.test(path)) fail('path.invalid_character');
      for (const component of components) if (isWindowsReservedName(component)) fail('path.reserved_name');
      for (const component of components) if (/[. ]$/.test(component)) fail('path.trailing_dot_or_space');
    }
    return { path, components };
  }

  // §6 ContainerReader ------------------------------------------------------------------------------
  const NODE_FILE = 0;
  const NODE_DIRECTORY = 1;
  const NODE_IMPLIED = 2;
  const PHASE_HEADER = 0;
  const PHASE_TYPE = 1;
  const PHASE_FIXED = 2;
  const PHASE_PATH = 3;
  const PHASE_CONTENT = 4;
  const PHASE_END = 5;

  class ContainerReader {
    constructor(options) {
      this._windows = !!(options && options.windows);
      this._buffer = new Uint8Array(ENTRY_FIXED_BYTES + MAX_PATH_BYTES); // one entry header at most
      this._fill = 0;
      this._wanted = CONTAINER_HEADER_BYTES;
      this._phase = PHASE_HEADER;
      this._entry = null;
      this._contentLeft = 0;
      this._totalPathBytes = 0;
      this._root = { kind: NODE_DIRECTORY, children: null };
      this._nodeCount = 0; // every file and folder, listed or implied
      this._error = null;
      this.complete = false;
    }

    push(input) {
      if (this._error) throw this._error;
      const data = asBytes(input);
      const events = [];
      try {
        let offset = 0;
        while (offset < data.length) offset = this._step(data, offset, events);
      } catch (error) {
        this._error = error instanceof OtsError ? error : new OtsError('container.malformed', String(error));
        this._buffer = null;
        throw this._error;
      }
      return events;
    }

    end() {
      if (this._error) throw this._error;
      if (this._phase !== PHASE_END) {
        this._error = new OtsError('container.truncated');
        throw this._error;
      }
    }

    _step(data, offset, events) {
      if (this._phase === PHASE_END) fail('container.trailing_data');
      if (this._phase === PHASE_CONTENT) {
        const take = Math.min(this._contentLeft, data.length - offset);
        events.push({ type: 'data', bytes: data.subarray(offset, offset + take) });
        this._contentLeft -= take;
        if (this._contentLeft === 0) this._endEntry();
        return offset + take;
      }
      const take = Math.min(this._wanted - this._fill, data.length - offset);
      this._buffer.set(data.subarray(offset, offset + take), this._fill);
      this._fill += take;
      offset += take;
      if (this._fill < this._wanted) return offset;
      if (this._phase === PHASE_HEADER) this._headerComplete();
      else if (this._phase === PHASE_TYPE) this._typeComplete(events);
      else if (this._phase === PHASE_FIXED) this._fixedComplete();
      else this._pathComplete(events);
      return offset;
    }

    _headerComplete() {
      const b = this._buffer;
      for (let i = 0; i < 4; i++) if (b[i] !== CONTAINER_MAGIC[i]) fail('container.bad_magic');
      if (b[4] !== CONTAINER_VERSION) fail('container.unsupported_version');
      if (b[5] !== 0 || b[6] !== 0 || b[7] !== 0) throw new OtsError('container.malformed', 'reserved header bytes are not zero');
      this._fill = 0;
      this._phase = PHASE_TYPE;
      this._wanted = 1;
    }

    _typeComplete(events) {
      if (this._buffer[0] === ENTRY_END) {
        this._phase = PHASE_END;
        this.complete = true;
        events.push({ type: 'end' });
        return;
      }
      this._phase = PHASE_FIXED;
      this._wanted = ENTRY_FIXED_BYTES;
    }

    _fixedComplete() {
      const b = this._buffer;
      const type = b[0];
      if (type === ENTRY_SYMLINK_RESERVED) fail('entry.link_not_allowed');
      if (type !== ENTRY_DIRECTORY && type !== ENTRY_FILE) throw new OtsError('entry.unknown_type', 'type ' + type);
      if (b[1] !== 0) throw new OtsError('container.malformed', 'entry flags are not zero');
      const mode = (b[2] | (b[3] << 8) | (b[4] << 16) | (b[5] << 24)) >>> 0;
      const sizeLow = (b[6] | (b[7] << 8) | (b[8] << 16) | (b[9] << 24)) >>> 0;
      const sizeHigh = (b[10] | (b[11] << 8) | (b[12] << 16) | (b[13] << 24)) >>> 0;
      const pathBytes = b[22] | (b[23] << 8);
      if ((mode & ~MODE_MASK) !== 0) fail('entry.bad_mode');
      if (type === ENTRY_DIRECTORY && (sizeLow !== 0 || sizeHigh !== 0))
        throw new OtsError('container.malformed', 'a directory entry has content');
      if (pathBytes === 0) fail('path.empty');
      if (pathBytes > MAX_PATH_BYTES) fail('path.too_long');
      this._totalPathBytes += pathBytes;
      if (this._totalPathBytes > MAX_TOTAL_PATH_BYTES) fail('container.too_many_entries');
      // A size no stream can carry (above 2^53) would only end in container.truncated; it is kept
      // as the nearest Number, which the input can never reach.
      this._entry = {
        type: 'entry',
        kind: type === ENTRY_FILE ? 'file' : 'folder',
        path: '',
        size: sizeHigh * 0x100000000 + sizeLow,
        mode,
        mtime: readI64(b, 14),
      };
      this._phase = PHASE_PATH;
      this._wanted = ENTRY_FIXED_BYTES + pathBytes;
    }

    _pathComplete(events) {
      const checked = checkPath(this._buffer.subarray(ENTRY_FIXED_BYTES, this._wanted), this._windows);
      const entry = this._entry;
      entry.path = checked.path;
      this._recordPath(checked.components, entry.kind === 'file');
      events.push(entry);
      this._fill = 0;
      if (entry.kind === 'file' && entry.size > 0) {
        this._phase = PHASE_CONTENT;
        this._contentLeft = entry.size;
        return;
      }
      this._endEntry();
    }

    _endEntry() {
      this._entry = null;
      this._fill = 0;
      this._phase = PHASE_TYPE;
      this._wanted = 1;
    }

    _addNode(parent, name, kind) {
      // Implied folders count too: each is a directory on disk.
      if (this._nodeCount >= MAX_ENTRIES) fail('container.too_many_entries');
      if (parent.children === null) parent.children = new Map();
      const node = { kind, children: null };
      parent.children.set(name, node);
      ++this._nodeCount;
      return node;
    }

    _recordPath(components, isFile) {
      const keys = this._windows ? components.map(lowerAscii) : components;
      let node = this._root;
      for (let i = 0; i + 1 < keys.length; i++) {
        const found = node.children === null ? undefined : node.children.get(keys[i]);
        if (found !== undefined) {
          if (found.kind === NODE_FILE) fail('path.conflict');
          node = found;
        } else {
          node = this._addNode(node, keys[i], NODE_IMPLIED);
        }
      }
      const name = keys[keys.length - 1];
      const kind = isFile ? NODE_FILE : NODE_DIRECTORY;
      const existing = node.children === null ? undefined : node.children.get(name);
      if (existing === undefined) {
        this._addNode(node, name, kind);
        return;
      }
      // A later directory entry for an implied folder is allowed once (it carries its mtime).
      if (existing.kind === NODE_IMPLIED && kind === NODE_DIRECTORY) {
        existing.kind = NODE_DIRECTORY;
        return;
      }
      fail((existing.kind === NODE_FILE) === isFile ? 'path.duplicate' : 'path.conflict');
    }
  }

  // Text from outside made safe to show (desktop/core DisplayText.cpp's visibleText): control
  // characters (C0, DEL, C1), format characters (Cf), U+2028/U+2029 and unpaired surrogates become
  // visible escapes (\x1b, \u202e, \U000e0041). options.lineBreaks 'keep' leaves LF and TAB as they
  // are; results longer than options.maxChars UTF-16 units (8192) are cut and end in "…".
  const CATEGORY_CF = /^\p{Cf}$/u;

  function needsEscape(codePoint, keepLineBreaks) {
    if (keepLineBreaks && (codePoint === 0x0a || codePoint === 0x09)) return false;
    if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)) return true;
    if (codePoint === 0x2028 || codePoint === 0x2029) return true;
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) return true; // unpaired surrogate
    return CATEGORY_CF.test(String.fromCodePoint(codePoint));
  }

  function escapeOf(codePoint) {
    if (codePoint <= 0xff) return '\\x' + codePoint.toString(16).padStart(2, '0');
    if (codePoint <= 0xffff) return '\\u' + codePoint.toString(16).padStart(4, '0');
    return '\\U' + codePoint.toString(16).padStart(8, '0');
  }

  function visibleText(text, options) {
    const keep = !!(options && options.lineBreaks === 'keep');
    const maxChars = options && Number.isInteger(options.maxChars) ? options.maxChars : 8192;
    const ellipsis = '\u2026';
    const input = String(text);
    let out = '';
    for (let pos = 0; pos < input.length; ) {
      const codePoint = input.codePointAt(pos);
      const units = codePoint > 0xffff ? 2 : 1;
      const piece = needsEscape(codePoint, keep) ? escapeOf(codePoint) : input.slice(pos, pos + units);
      if (out.length + piece.length > maxChars - ellipsis.length && (pos + units < input.length || out.length + piece.length > maxChars))
        return out + ellipsis;
      out += piece;
      pos += units;
    }
    return out;
  }

  return {
    OtsError,
    ready,
    b64u,
    parseLink,
    parsePageLocation,
    isLoopbackHost,
    checkKdf,
    deriveShareKey,
    deriveKeys,
    proof,
    openMetadata,
    parseMetadata,
    padme,
    paddedSize,
    ciphertextSize,
    isValidCiphertextSize,
    StreamReader,
    ContainerReader,
    checkEntryPath,
    visibleText,
    constants: Object.freeze({
      CHUNK_PLAIN_BYTES,
      STREAM_HEADER_BYTES,
      MAX_ENVELOPE_BYTES,
      MAX_PAYLOAD_BYTES,
    }),
  };
});
