'use strict';
// tst_web_zip: archives written by resources/web/receiver/ots_zip.js, read back by independent
// readers: python3's zipfile (testzip, then every entry's bytes and kind compared) and Info-ZIP's
// `unzip -t`. Three archives: nested folders with non-ASCII names, an empty file and an empty folder;
// 65 536 entries (ZIP64 end records); and a real ZIP64 entry of 4 GiB + 1 MiB streamed through the
// writer in 1 MiB pieces (never held in memory; its zeros are left as a sparse hole in the file)
// with a file after it whose offset needs ZIP64 too. No ZIP64 is forced: every ZIP64 record here is
// one the sizes, offsets and count require. totalSize() must equal every produced length.

const fs = require('fs');
const os = require('os');
const path = require('path');
const assert = require('assert');
const { spawnSync } = require('child_process');

const repo = path.resolve(__dirname, '..', '..');
const { ZipWriter, crc32, dosTime } = require(path.join(repo, 'resources/web/receiver/ots_zip.js'));

const python = process.env.OTS_PYTHON3 || 'python3';
const unzip = process.env.OTS_UNZIP || 'unzip';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tst_web_zip-'));
const failures = [];
let checks = 0;

function check(name, fn) {
  ++checks;
  const started = Date.now();
  try {
    fn();
    console.log('ok   ' + name + ' (' + (Date.now() - started) + ' ms)');
  } catch (error) {
    failures.push(name + ': ' + (error && error.stack ? error.stack : error));
    console.log('FAIL ' + name);
  }
}

function bytesOf(length, seed) {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

// Writes the archive of `entries` ({path, folder, size, mtime, content?: Uint8Array, zeros?: true})
// to file; content of a `zeros` entry passes through the writer in 1 MiB pieces and becomes a hole.
function writeArchive(file, entries) {
  const fd = fs.openSync(file, 'w');
  let position = 0;
  const write = (bytes) => {
    fs.writeSync(fd, bytes, 0, bytes.length, position);
    position += bytes.length;
  };
  const started = Date.now();
  const zip = new ZipWriter();
  const zeros = new Uint8Array(1024 * 1024);
  for (const entry of entries) {
    write(zip.begin(entry));
    if (entry.zeros) {
      for (let left = entry.size; left > 0; ) {
        const piece = zip.data(zeros.subarray(0, Math.min(left, zeros.length)));
        position += piece.length; // all zero: a hole in a sparse file
        left -= piece.length;
      }
    } else if (!entry.folder) {
      // Odd piece sizes, to show that content is taken as it comes.
      for (let offset = 0; offset < entry.content.length; offset += 7777) write(zip.data(entry.content.subarray(offset, offset + 7777)));
    }
    write(zip.endEntry());
  }
  write(zip.finish());
  fs.ftruncateSync(fd, position);
  fs.closeSync(fd);
  assert.strictEqual(zip.offset, position, 'the writer counts what it produced');
  console.log('     wrote ' + path.basename(file) + ': ' + position + ' bytes in ' + (Date.now() - started) + ' ms');
  return position;
}

const PYTHON_CHECK = `
import base64, json, sys, zipfile
archive, manifest = sys.argv[1], json.load(open(sys.argv[2]))
with zipfile.ZipFile(archive) as z:
    # testzip reads every entry and checks its CRC-32; for a 4 GiB entry that pass is the comparing
    # read below (zipfile checks the CRC-32 when a read reaches the end), not a second one.
    if not any('zeros' in m for m in manifest):
        bad = z.testzip()
        assert bad is None, 'testzip: first bad entry %r' % bad
    infos = z.infolist()
    assert [i.filename for i in infos] == [m['name'] for m in manifest], [i.filename for i in infos]
    for info, m in zip(infos, manifest):
        assert info.flag_bits & 0x800, 'UTF-8 flag on ' + info.filename
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.is_dir() == m['folder'], info.filename
        assert info.file_size == m['size'], (info.filename, info.file_size)
        if 'dateTime' in m:
            assert list(info.date_time) == m['dateTime'], (info.filename, info.date_time)
        if m['folder']:
            assert z.read(info) == b''
            continue
        with z.open(info) as f:
            if 'zeros' in m:
                left = m['size']
                while left:
                    piece = f.read(min(left, 1 << 24))
                    assert piece and piece.count(0) == len(piece), 'content of ' + info.filename
                    left -= len(piece)
                assert f.read(1) == b''
            else:
                assert f.read() == base64.b64decode(m['content']), 'content of ' + info.filename
print('python zipfile: %d entries verified' % len(manifest))
`;

function verify(label, file, entries, produced) {
  check(label + ': totalSize equals the produced length', () => {
    assert.strictEqual(ZipWriter.totalSize(entries), produced);
    assert.strictEqual(fs.statSync(file).size, produced);
  });
  const manifest = entries.map((entry) => {
    const item = { name: entry.folder ? entry.path + '/' : entry.path, folder: !!entry.folder, size: entry.folder ? 0 : entry.size };
    if (entry.dateTime) item.dateTime = entry.dateTime;
    if (entry.zeros) item.zeros = true;
    else if (!entry.folder) item.content = Buffer.from(entry.content).toString('base64');
    return item;
  });
  const manifestFile = path.join(dir, label.replace(/\W+/g, '_') + '.json');
  fs.writeFileSync(manifestFile, JSON.stringify(manifest));
  check(label + ': python3 zipfile reads every entry back', () => {
    const run = spawnSync(python, ['-c', PYTHON_CHECK, file, manifestFile], { encoding: 'utf8' });
    assert.strictEqual(run.status, 0, 'python3: ' + run.stdout + run.stderr + (run.error || ''));
    process.stdout.write('     ' + run.stdout);
  });
  // unzip -t checks the CRC-32 of every entry it is given; the 4 GiB of zeros (17 s for unzip) are
  // left to python3 above, the entries around them still need unzip to follow the ZIP64 records.
  const members = entries.some((entry) => entry.zeros)
    ? entries.filter((entry) => !entry.zeros).map((entry) => (entry.folder ? entry.path + '/' : entry.path))
    : [];
  check(label + ': unzip -t' + (members.length ? ' ' + members.join(' ') : ''), () => {
    const run = spawnSync(unzip, ['-t', '-qq', file].concat(members), { encoding: 'utf8' });
    assert.strictEqual(run.status, 0, 'unzip -t: ' + run.stdout + run.stderr + (run.error || ''));
  });
}

try {
  check('CRC-32 of "123456789" and across pieces', () => {
    const text = new TextEncoder().encode('123456789');
    assert.strictEqual(crc32(0, text), 0xcbf43926);
    assert.strictEqual(crc32(crc32(0, text.subarray(0, 4)), text.subarray(4)), 0xcbf43926);
    const data = bytesOf(100003, 9);
    let piecewise = 0;
    for (let offset = 0; offset < data.length; offset += 13) piecewise = crc32(piecewise, data.subarray(offset, offset + 13));
    assert.strictEqual(piecewise, crc32(0, data));
  });

  check('MS-DOS times in UTC, 1980-01-01 outside their range', () => {
    assert.deepStrictEqual(dosTime(315532800), { time: 0, date: (1 << 5) | 1 });
    assert.deepStrictEqual(dosTime(1700000000), { time: (22 << 11) | (13 << 5) | 10, date: (43 << 9) | (11 << 5) | 14 });
    for (const outside of [0, -86400, 4354819200, 2 ** 60, NaN]) assert.deepStrictEqual(dosTime(outside), { time: 0, date: (1 << 5) | 1 });
  });

  check('an entry must get exactly the content it announced', () => {
    const zip = new ZipWriter();
    zip.begin({ path: 'a', size: 3, mtime: 0 });
    assert.throws(() => zip.data(new Uint8Array(4)), { code: 'zip.size_mismatch' });
    zip.data(new Uint8Array(2));
    assert.throws(() => zip.endEntry(), { code: 'zip.size_mismatch' });
    assert.throws(() => zip.begin({ path: 'b', size: 0, mtime: 0 }), { code: 'zip.state' });
    assert.throws(() => zip.finish(), { code: 'zip.state' });
    assert.throws(() => new ZipWriter().begin({ path: 'd', folder: true, size: 1, mtime: 0 }), { code: 'zip.bad_entry' });
  });

  // 1. Nested folders, non-ASCII names, an empty file and an empty folder.
  const tree = [
    { path: 'photos', folder: true, size: 0, mtime: 1700000000, dateTime: [2023, 11, 14, 22, 13, 20] },
    { path: 'photos/2024', folder: true, size: 0, mtime: 1700000000 },
    { path: 'photos/2024/été à Zürich.jpg', size: 200000, mtime: 1700000001, content: bytesOf(200000, 1) },
    { path: 'photos/2024/日記/メモ.txt', size: 12, mtime: 1700000000, content: new TextEncoder().encode('こんにちは').subarray(0, 12) },
    { path: 'photos/empty folder', folder: true, size: 0, mtime: -5 },
    { path: 'empty.txt', size: 0, mtime: 0, content: new Uint8Array(0), dateTime: [1980, 1, 1, 0, 0, 0] },
    { path: 'Ελληνικά/ключ 🔑.bin', size: 65537, mtime: 4354819199, content: bytesOf(65537, 2), dateTime: [2107, 12, 31, 23, 59, 58] },
  ];
  const treeFile = path.join(dir, 'tree.zip');
  verify('nested tree', treeFile, tree, writeArchive(treeFile, tree));

  check('both readers refuse the tree with one content byte changed', () => {
    const damaged = fs.readFileSync(treeFile);
    const at = damaged.indexOf(Buffer.from(tree[2].content.subarray(0, 64))) + 1000;
    damaged[at] ^= 1;
    const damagedFile = path.join(dir, 'damaged.zip');
    fs.writeFileSync(damagedFile, damaged);
    const testzip = 'import sys, zipfile; sys.exit(0 if zipfile.ZipFile(sys.argv[1]).testzip() is None else 3)';
    assert.strictEqual(spawnSync(python, ['-c', testzip, damagedFile]).status, 3);
    assert.notStrictEqual(spawnSync(unzip, ['-t', '-qq', damagedFile]).status, 0);
  });

  // 2. 65 536 entries: the ZIP64 end of central directory record and locator.
  const many = [];
  for (let i = 0; i < 65536; i++) many.push({ path: 'f/' + i, size: i % 1000 === 0 ? 1 : 0, mtime: 1700000000, content: Uint8Array.of(i & 0xff).subarray(0, i % 1000 === 0 ? 1 : 0) });
  const manyFile = path.join(dir, 'many.zip');
  verify('65536 entries (ZIP64 end records)', manyFile, many, writeArchive(manyFile, many));

  // 3. A real ZIP64 entry beyond 4 GiB, then a file whose local header lies beyond 4 GiB.
  const big = [
    { path: 'before.txt', size: 5, mtime: 1700000000, content: new TextEncoder().encode('first') },
    { path: 'big/zeros.bin', size: 4 * 1024 ** 3 + 1024 ** 2, mtime: 1700000000, zeros: true },
    { path: 'big/after.txt', size: 4, mtime: 1700000000, content: new TextEncoder().encode('last') },
  ];
  const bigFile = path.join(dir, 'big.zip');
  verify('4 GiB + 1 MiB entry (ZIP64 sizes and offset)', bigFile, big, writeArchive(bigFile, big));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}

console.log(checks + ' checks');
if (failures.length > 0) {
  for (const failure of failures) console.error('FAIL ' + failure);
  process.exit(1);
}
console.log('all passed');
