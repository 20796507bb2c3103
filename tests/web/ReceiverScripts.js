// Loads the browser receiver's scripts into node as the page loads them (classic scripts in order,
// the vendored libsodium.js and hash-wasm first), for the tests that run its code outside a browser.
// Returns the globals the page would have: { sodium, hashwasm, OtsFormat }.
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');

const web = path.resolve(__dirname, '..', '..', 'resources', 'web');
let loaded = null;

function load() {
  if (loaded) return loaded;
  // libsodium.js looks for these to find a random source and its own location under node.
  globalThis.self = globalThis;
  globalThis.require = require;
  globalThis.__dirname = __dirname;
  globalThis.__filename = __filename;
  for (const file of ['vendor/libsodium/libsodium.js', 'vendor/libsodium-wrappers/libsodium-wrappers.js',
    'vendor/hash-wasm/argon2.umd.min.js', 'receiver/ots_format.js']) {
    vm.runInThisContext(fs.readFileSync(path.join(web, file), 'utf8'), { filename: file });
  }
  loaded = { sodium: globalThis.sodium, hashwasm: globalThis.hashwasm, OtsFormat: globalThis.OtsFormat };
  return loaded;
}

module.exports = { load };
