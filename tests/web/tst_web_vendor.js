// tst_web_vendor: the vendored libraries of the browser receiver (resources/web/vendor/) are byte for
// byte the files of the npm releases that their package-lock.json pins.
//
//   node tst_web_vendor.js VENDOR_DIR NPM
//
// `npm ci --ignore-scripts` installs the locked releases into a temporary folder (npm refuses a
// tarball whose SHA-512 differs from the lock's "integrity"); then each file of README.md's table is
// compared with the tarball's file it names, each folder's LICENSE with its package's, the installed
// versions with the table's, and SHA256SUMS (what the relay's build checks before embedding the files)
// with the files. Every file under the vendor folders must be accounted for.
'use strict';

const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const [vendorDir, npm] = process.argv.slice(2);
if (!vendorDir || !npm) {
    console.error('usage: node tst_web_vendor.js VENDOR_DIR NPM');
    process.exit(2);
}

let failures = 0;
function check(ok, message) {
    if (!ok) {
        failures += 1;
        console.error('FAIL: ' + message);
    }
}

// README.md's table: | `FOLDER/FILE` | PACKAGE VERSION | `PATH IN THE TARBALL` |
function readTable() {
    const rows = [];
    const readme = fs.readFileSync(path.join(vendorDir, 'README.md'), 'utf8');
    for (const line of readme.split('\n')) {
        const match = /^\|\s*`([^`]+)`\s*\|\s*(\S+)\s+(\S+)\s*\|\s*`([^`]+)`\s*\|\s*$/.exec(line);
        if (match)
            rows.push({ file: match[1], pkg: match[2], version: match[3], source: match[4] });
    }
    return rows;
}

function readSums() {
    const sums = new Map();
    const text = fs.readFileSync(path.join(vendorDir, 'SHA256SUMS'), 'utf8');
    for (const line of text.split('\n')) {
        if (line === '')
            continue;
        const match = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
        check(match !== null, 'SHA256SUMS: not "HEX  PATH": ' + JSON.stringify(line));
        if (match)
            sums.set(match[2], match[1]);
    }
    return sums;
}

function sameBytes(a, b) {
    return fs.existsSync(a) && fs.existsSync(b) && fs.readFileSync(a).equals(fs.readFileSync(b));
}

const table = readTable();
check(table.length >= 3, 'README.md lists ' + table.length + ' vendored files (expected the table of at least 3)');

// The lock pins every package with an integrity hash (without one, npm ci would check nothing).
const lock = JSON.parse(fs.readFileSync(path.join(vendorDir, 'package-lock.json'), 'utf8'));
for (const [key, entry] of Object.entries(lock.packages || {})) {
    if (key === '')
        continue;
    check(/^sha512-/.test(entry.integrity || ''), 'package-lock.json: ' + key + ' has no SHA-512 integrity');
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tst_web_vendor-'));
try {
    fs.copyFileSync(path.join(vendorDir, 'package.json'), path.join(work, 'package.json'));
    fs.copyFileSync(path.join(vendorDir, 'package-lock.json'), path.join(work, 'package-lock.json'));
    const install = childProcess.spawnSync(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], {
        cwd: work,
        encoding: 'utf8',
    });
    if (install.status !== 0) {
        console.error(install.stdout + install.stderr);
        console.error('FAIL: npm ci could not install the locked releases (see above); the test needs the npm registry');
        process.exit(1);
    }
    const modules = path.join(work, 'node_modules');

    const listed = new Set();
    for (const row of table) {
        listed.add(row.file);
        const installed = JSON.parse(fs.readFileSync(path.join(modules, row.pkg, 'package.json'), 'utf8'));
        check(installed.version === row.version,
              row.file + ': README.md says ' + row.pkg + ' ' + row.version + ', the lock installs ' + installed.version);
        check(sameBytes(path.join(vendorDir, row.file), path.join(modules, row.pkg, row.source)),
              row.file + ' differs from ' + row.source + ' of ' + row.pkg + ' ' + installed.version);
        const license = path.join(path.dirname(row.file), 'LICENSE');
        listed.add(license);
        check(sameBytes(path.join(vendorDir, license), path.join(modules, row.pkg, 'LICENSE')),
              license + ' differs from the LICENSE of ' + row.pkg);
    }

    // Nothing else is vendored: each file in the package folders is in the table (or its LICENSE).
    for (const entry of fs.readdirSync(vendorDir, { withFileTypes: true })) {
        if (!entry.isDirectory())
            continue;
        for (const name of fs.readdirSync(path.join(vendorDir, entry.name)))
            check(listed.has(entry.name + '/' + name), entry.name + '/' + name + ' is not in README.md\'s table');
    }

    // SHA256SUMS lists exactly the table's files, with their hashes.
    const sums = readSums();
    for (const row of table) {
        const actual = crypto.createHash('sha256').update(fs.readFileSync(path.join(vendorDir, row.file))).digest('hex');
        check(sums.get(row.file) === actual, 'SHA256SUMS: ' + row.file + ' should be ' + actual);
    }
    for (const file of sums.keys())
        check(table.some((row) => row.file === file), 'SHA256SUMS lists ' + file + ', which README.md\'s table does not');
} finally {
    fs.rmSync(work, { recursive: true, force: true });
}

if (failures > 0) {
    console.error(failures + ' check(s) failed');
    process.exit(1);
}
console.log('PASS: ' + table.length + ' vendored files and their licenses are the locked npm releases\' files');
