// The browser receiver in a real browser (issue 15): Debian's Chromium or Firefox ESR, headless, driven by
// puppeteer-core, against a real redis-server and ots-relay on loopback, with shares made by the real
// `ots send`. Every page is opened through a recording TCP proxy in front of the relay, so the test
// sees every byte the browser sent, and can cut a download mid-way.
//
//   node tst_web_browser.js --browser chromium|firefox --relay PATH/ots-relay --ots PATH/ots
//
// Firefox ESR runs through WebDriver BiDi (puppeteer-core speaks it; Debian's firefox-esr has it
// built in), so both browsers come from Debian's packages and no browser is ever downloaded.
'use strict';

const assert = require('assert');
const childProcess = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const H = require('./WebHarness');
const HostileSender = require('./HostileSender');

function argument(name) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error('missing --' + name);
  return process.argv[i + 1];
}

const MiB = 1024 * 1024;
const results = [];
let context = null;

async function test(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push([name, 'ok']);
    console.log('PASS  ' + name + '  (' + ((Date.now() - started) / 1000).toFixed(1) + ' s)');
  } catch (e) {
    results.push([name, 'FAIL']);
    console.log('FAIL  ' + name + ': ' + (e && e.stack ? e.stack : e));
  }
}

// The page's address for a share, through the proxy (the origin the browser sees).
function pageUrl(share, secret = share.secret) {
  return 'http://127.0.0.1:' + context.proxy.port + '/s/' + share.id + '#' + secret;
}

// `browserContext`: another profile's storage (a second recipient), or the default one.
async function openPage(url, browserContext = null) {
  const page = await (browserContext || context.browser).newPage();
  page.on('request', (r) => context.requests.push({ url: r.url(), headers: r.headers(), method: r.method() }));
  page.on('pageerror', (e) => context.pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') context.consoleErrors.push(m.text());
  });
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  return page;
}

function state(page) {
  return page.$eval('#state', (e) => e.dataset.state);
}

async function waitState(page, wanted, timeoutMs = 30000) {
  const list = Array.isArray(wanted) ? wanted : [wanted];
  await H.waitFor('page state ' + list.join('|'), async () => list.includes(await state(page)), timeoutMs, 50)
    .catch(async (e) => {
      const now = await state(page).catch(() => '?');
      const code = await page.$eval('#error', (el) => el.dataset.code || '').catch(() => '');
      throw new Error(e.message + ' (state ' + now + ', error ' + code + ')');
    });
}

async function errorCode(page, timeoutMs = 30000) {
  await waitState(page, 'error', timeoutMs);
  return page.$eval('#error', (e) => e.dataset.code);
}

function waitDownload(name, size = null, timeoutMs = 120000) {
  return H.waitDownload(context.launched, context.downloadDir, name, timeoutMs, size);
}

function filesIn(dir) {
  return fs.readdirSync(dir).sort();
}

async function receiveFile(share, name, size = null) {
  const page = await openPage(pageUrl(share));
  await waitState(page, 'details');
  await page.click('#download');
  const file = await waitDownload(name, size);
  await waitState(page, 'done');
  await page.close();
  return file;
}

function unzip(zipFile, into) {
  // python3's zipfile checks every CRC and the central directory; extractall refuses nothing here,
  // so the names are compared below as well.
  childProcess.execFileSync('python3', ['-c', `
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
assert bad is None, bad
z.extractall(sys.argv[2])
print(len(z.namelist()))
`, zipFile, into]);
  childProcess.execFileSync('unzip', ['-tq', zipFile]);
}

function treeOf(root) {
  const out = [];
  const walk = (dir, rel) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const relative = rel ? rel + '/' + name : name;
      const stat = fs.statSync(full);
      if (stat.isDirectory()) {
        out.push(relative + '/');
        walk(full, relative);
      } else {
        out.push(relative + ' ' + stat.size + ' ' +
          crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex'));
      }
    }
  };
  walk(root, '');
  return out;
}

async function main() {
  const relayBinary = argument('relay');
  const otsBinary = argument('ots');
  const browserKind = argument('browser');
  if (!['chromium', 'firefox'].includes(browserKind)) throw new Error('--browser chromium|firefox');
  const processes = new H.Processes();
  const work = H.tempDir('ots-web-browser-');
  const downloadDir = path.join(work, 'downloads');
  fs.mkdirSync(downloadDir);
  const overall = setTimeout(() => {
    console.log('FAIL  the whole test took longer than 10 minutes');
    process.exit(1);
  }, 10 * 60 * 1000);
  let browser = null;
  try {
    const redis = new H.Redis(processes);
    await redis.start();
    const relay = new H.Relay(processes, relayBinary, redis);
    await relay.start();
    const proxy = new H.Proxy(relay.port);
    await proxy.start();
    const ots = new H.Ots(otsBinary, 'http://127.0.0.1:' + relay.port);
    const launched = await H.launchBrowser(browserKind, downloadDir);
    browser = launched.browser;
    console.log('browser: ' + await browser.version());
    context = {
      relay, proxy, ots, redis, browser, downloadDir, launched, requests: [],
      pageErrors: [], consoleErrors: [], secrets: [],
    };
    const remember = (share) => {
      context.secrets.push(share.secret);
      return share;
    };

    await test('a file: details first, nothing counted, then a byte-identical download', async () => {
      const source = path.join(work, 'report.pdf');
      H.writeRandomFile(source, 300 * 1024 + 17);
      const share = remember(await ots.send([source], { downloads: 2, note: 'Q3 numbers\n<b>not bold</b>' }));
      const page = await openPage(pageUrl(share));
      await waitState(page, 'details');
      const listed = await page.$$eval('#files li', (items) => items.map((i) => i.textContent));
      assert.strictEqual(listed.length, 1);
      assert.match(listed[0], /^report\.pdf/);
      assert.strictEqual(await page.$eval('#note', (e) => e.textContent), 'Q3 numbers\n<b>not bold</b>');
      assert.strictEqual(await page.$eval('#note', (e) => e.children.length), 0, 'the note is text, never markup');
      assert.strictEqual((await relay.info(share.id)).body.downloadsLeft, 2, 'showing the list counts nothing');
      await page.click('#download');
      const file = await waitDownload('report.pdf', 300 * 1024 + 17);
      await waitState(page, 'done');
      assert.strictEqual(await H.sha256File(file), await H.sha256File(source));
      await H.waitFor('finish', async () => (await relay.info(share.id)).body.downloadsLeft === 1, 5000);
      await page.close();
    });

    await test('a nested folder with non-ASCII names becomes one streamed ZIP', async () => {
      const root = path.join(work, 'Ünïcödé папка');
      fs.mkdirSync(path.join(root, '日本語', 'empty folder'), { recursive: true });
      fs.mkdirSync(path.join(root, 'sub dir', 'deeper'), { recursive: true });
      H.writeRandomFile(path.join(root, '日本語', 'файл.bin'), 70 * MiB + 3); // over the verify-first limit
      fs.writeFileSync(path.join(root, 'sub dir', 'deeper', 'ß – “quotes”.txt'), 'hello ✓\n');
      fs.writeFileSync(path.join(root, 'empty.txt'), '');
      const share = remember(await ots.send([root]));
      const file = await receiveFile(share, 'Ünïcödé папка.zip');
      const out = path.join(work, 'unzipped');
      fs.mkdirSync(out);
      unzip(file, out);
      assert.deepStrictEqual(treeOf(path.join(out, 'Ünïcödé папка')), treeOf(root));
      await H.waitFor('finish', async () => (await relay.info(share.id)).status === 410, 5000);
    });

    await test('a text share is shown as text, with Copy', async () => {
      const text = 'API_KEY=sk-live-1234\n<script>alert(1)</script> & "quotes"\n';
      const share = remember(await ots.send([], { text }));
      const page = await openPage(pageUrl(share));
      await waitState(page, 'details');
      await page.click('#download');
      await waitState(page, 'text');
      assert.strictEqual(await page.$eval('#text', (e) => e.textContent), text);
      assert.strictEqual(await page.$eval('#text', (e) => e.children.length), 0);
      assert.ok(await page.$('#copy-text'));
      await page.close();
    });

    await test('an empty file arrives empty', async () => {
      const source = path.join(work, 'empty-file');
      fs.writeFileSync(source, '');
      const share = remember(await ots.send([source]));
      const file = await receiveFile(share, 'empty-file', 0);
      assert.strictEqual(fs.statSync(file).size, 0);
    });

    await test('a password share: a wrong password, then the right one', async () => {
      const source = path.join(work, 'secret.txt');
      fs.writeFileSync(source, 'the launch codes\n');
      const share = remember(await ots.send([source], { password: 'correct horse battery staple' }));
      const page = await openPage(pageUrl(share));
      await waitState(page, 'password');
      const before = (await relay.info(share.id)).body.attemptsLeft;
      await page.type('#password', 'wrong password');
      await page.click('#unlock');
      await H.waitFor('wrong password', async () =>
        (await page.$eval('#password-hint', (e) => e.dataset.code)) === 'wrong_password', 30000);
      assert.strictEqual(await state(page), 'password');
      assert.strictEqual((await relay.info(share.id)).body.attemptsLeft, before - 1);
      assert.match(await page.$eval('#attempts', (e) => e.textContent), new RegExp(String(before - 1)));
      // Then by keyboard alone: the field keeps focus after a wrong password, Enter submits, and the
      // Download button has focus once the list shows.
      assert.strictEqual(await page.evaluate(() => document.activeElement.id), 'password');
      await page.keyboard.down('Control');
      await page.keyboard.press('KeyA');
      await page.keyboard.up('Control');
      await page.keyboard.type('correct horse battery staple');
      await page.keyboard.press('Enter');
      await waitState(page, 'details', 30000);
      assert.strictEqual(await page.evaluate(() => document.activeElement.id), 'download');
      await page.keyboard.press('Enter');
      const file = await waitDownload('secret.txt', 17);
      assert.strictEqual(fs.readFileSync(file, 'utf8'), 'the launch codes\n');
      await page.close();
    });

    await test('a one-download share opened twice: the second says it was downloaded', async () => {
      const source = path.join(work, 'once.txt');
      fs.writeFileSync(source, 'only once\n');
      const share = remember(await ots.send([source], { downloads: 1 }));
      await receiveFile(share, 'once.txt', 10);
      const page = await openPage(pageUrl(share));
      assert.strictEqual(await errorCode(page), 'downloaded');
      await page.close();
    });

    await test('an expired share says so', async () => {
      const source = path.join(work, 'late.txt');
      fs.writeFileSync(source, 'too late\n');
      const share = remember(await ots.send([source], { expires: '1h' }));
      await relay.advanceClock(2 * 3600);
      try {
        await H.waitFor('expiry', async () => (await relay.info(share.id)).status === 410, 10000);
        const page = await openPage(pageUrl(share));
        assert.strictEqual(await errorCode(page), 'expired');
        await page.close();
      } finally {
        await redis.cli(['DEL', '{ots}:test:clock-offset']);
      }
    });

    await test('a deleted share says so', async () => {
      const source = path.join(work, 'gone.txt');
      fs.writeFileSync(source, 'deleted\n');
      const share = remember(await ots.send([source]));
      const deleted = await ots.run(['delete', share.id]);
      assert.strictEqual(deleted.code, 0, deleted.stderr);
      const page = await openPage(pageUrl(share));
      assert.strictEqual(await errorCode(page), 'deleted');
      await page.close();
    });

    await test('a damaged fragment is reported as a damaged link, and counts nothing', async () => {
      const source = path.join(work, 'damaged.txt');
      fs.writeFileSync(source, 'x\n');
      const share = remember(await ots.send([source], { password: 'pw for damaged' }));
      const attempts = (await relay.info(share.id)).body.attemptsLeft;
      // One character changed, still canonical base64url: only the link proof can tell.
      const changed = (share.secret[0] === 'A' ? 'B' : 'A') + share.secret.slice(1);
      let page = await openPage(pageUrl(share, changed));
      await waitState(page, 'password');
      await page.type('#password', 'pw for damaged');
      await page.click('#unlock');
      assert.strictEqual(await errorCode(page), 'link_damaged');
      assert.strictEqual((await relay.info(share.id)).body.attemptsLeft, attempts, 'a damaged link burns no attempt');
      await page.close();
      page = await openPage(pageUrl(share, share.secret.slice(0, 40)));
      assert.strictEqual(await errorCode(page), 'link_damaged');
      await page.close();
    });

    await test('a malicious sender\'s names never name the download', async () => {
      // A shortened list (truncated), so the page cannot compare it with the container, whose top
      // folder "report" is a safe name; the metadata's disguises an .exe as a .pdf with U+202E.
      const disguised = 'invoice\u202Efdp.exe';
      const share = remember(await HostileSender.sendCrafted(relay.port,
        [{ path: 'report/a.txt', content: Buffer.from('a\n') }, { path: 'report/b.txt', content: Buffer.from('b\n') }],
        { v: 1, kind: 'files', entries: [{ path: disguised + '/a.txt', type: 'file', size: 2 }], fileCount: 2,
          folderCount: 0, totalBytes: 4, truncated: true, note: 'see \u202Eattached' }));
      const page = await openPage(pageUrl(share));
      await waitState(page, 'details');
      assert.ok((await page.$eval('#files', (e) => e.textContent)).includes('invoice\\u202efdp.exe'),
        'the list shows the override as a visible escape');
      await page.click('#download');
      const file = await waitDownload('OneTimeShare.zip');
      await waitState(page, 'done');
      assert.ok(!fs.readdirSync(downloadDir).some((n) => n.includes('\u202E')), 'no download bears the disguised name');
      const out = path.join(work, 'unzipped-hostile');
      fs.mkdirSync(out);
      unzip(file, out);
      assert.deepStrictEqual(treeOf(out).map((l) => l.split(' ')[0]), ['report/', 'report/a.txt', 'report/b.txt']);
      await page.close();
    });

    await test('a tampered blob: the download fails and nothing completed is saved', async () => {
      for (const [name, size] of [['tampered-small.bin', 2 * MiB], ['tampered-large.bin', 70 * MiB]]) {
        const source = path.join(work, name);
        H.writeRandomFile(source, size);
        const share = remember(await ots.send([source]));
        const blob = relay.blobPath(share.id);
        const fd = fs.openSync(blob, 'r+');
        const at = fs.statSync(blob).size - 1000; // in the last frame: found only at the very end
        const byte = Buffer.alloc(1);
        fs.readSync(fd, byte, 0, 1, at);
        byte[0] ^= 0x01;
        fs.writeSync(fd, byte, 0, 1, at);
        fs.closeSync(fd);
        const page = await openPage(pageUrl(share));
        await waitState(page, 'details');
        await page.click('#download');
        assert.strictEqual(await errorCode(page), 'tampered');
        await H.sleep(1000); // give the browser time to settle a failed download
        assert.ok(!H.downloadCompleted(context.launched, downloadDir, name), name + ' must not complete');
        // Chromium removes a failed download's file; Firefox keeps its empty placeholder (and the
        // part file, under another name) — never a file holding what was received.
        const kept = path.join(downloadDir, name);
        assert.ok(!fs.existsSync(kept) || fs.statSync(kept).size === 0, name + ' must not hold received bytes');
        await page.close();
        // Firefox reports the errored download stream, which is the point here, as an error of the
        // hidden frame that carried it; nothing else may raise one.
        context.pageErrors = context.pageErrors.filter((e) => !/ServiceWorker intercepted the request/.test(e));
      }
    });

    await test('a connection cut mid-download resumes: byte-identical, one download spent', async () => {
      const source = path.join(work, 'resumed.bin');
      H.writeRandomFile(source, 80 * MiB + 12345);
      const share = remember(await ots.send([source], { downloads: 3 }));
      const before = (await relay.info(share.id)).body.downloadsLeft;
      proxy.armCut(new RegExp('GET /api/v1/shares/' + share.id + '/content'), 30 * MiB);
      const file = await receiveFile(share, 'resumed.bin', 80 * MiB + 12345);
      assert.strictEqual(proxy.cuts, 1, 'the proxy cut one response');
      assert.strictEqual(await H.sha256File(file), await H.sha256File(source));
      assert.strictEqual((await relay.info(share.id)).body.downloadsLeft, before - 1);
      const ranges = context.requests.filter((r) => r.url.endsWith('/' + share.id + '/content'));
      assert.ok(ranges.length >= 2, 'a second, ranged request resumed the download');
      assert.ok(ranges.some((r) => /^bytes=[1-9][0-9]*-$/.test(r.headers.range || '')), 'it resumed with Range');
    });

    await test('a share whose downloads are all reserved says so', async () => {
      const source = path.join(work, 'taken.bin');
      H.writeRandomFile(source, 70 * MiB);
      const share = remember(await ots.send([source], { downloads: 1 }));
      proxy.throttle(4 * MiB);
      try {
        const first = await openPage(pageUrl(share));
        await waitState(first, 'details');
        await first.click('#download');
        await waitState(first, 'downloading');
        // Another recipient: this browser's own storage holds the first page's ticket, with which
        // it would go on (SPEC §11), so the second opens in a fresh context.
        const stranger = await browser.createBrowserContext();
        const second = await openPage(pageUrl(share), stranger);
        assert.strictEqual(await errorCode(second), 'no_downloads_left');
        await stranger.close();
        proxy.throttle(0);
        await waitDownload('taken.bin', 70 * MiB);
        await first.close();
      } finally {
        proxy.throttle(0);
      }
    });

    await test('a share locked by wrong passwords says so', async () => {
      const source = path.join(work, 'locked.txt');
      fs.writeFileSync(source, 'locked\n');
      const share = remember(await ots.send([source], { password: 'the right one' }));
      const page = await openPage(pageUrl(share));
      await waitState(page, 'password');
      for (let left = (await relay.info(share.id)).body.attemptsLeft; left > 0; left -= 1) {
        await page.$eval('#password', (e) => { e.value = ''; });
        await page.type('#password', 'wrong ' + left);
        await page.click('#unlock');
        await H.waitFor('an attempt', async () => (await relay.info(share.id)).body.attemptsLeft === left - 1 &&
          (await page.$eval('#unlock', (e) => !e.disabled)), 30000);
      }
      assert.strictEqual(await errorCode(page), 'locked');
      await page.close();
      const again = await openPage(pageUrl(share));
      assert.strictEqual(await errorCode(again), 'locked');
      await again.close();
    });

    await test('no link secret in any request, header or log; no other origin', async () => {
      assert.ok(context.requests.length > 20);
      const origin = 'http://127.0.0.1:' + proxy.port;
      const capture = proxy.capture().toString('latin1');
      const log = relay.log();
      for (const secret of context.secrets) {
        for (const r of context.requests) {
          // The browser reports a navigation's fragment with its URL, but never sends it: what went
          // on the wire is the proxy's capture below.
          assert.ok(!r.url.split('#')[0].includes(secret), 'a request URL carried the secret');
          assert.ok(!JSON.stringify(r.headers).includes(secret), 'a request header carried the secret');
        }
        assert.ok(!capture.includes(secret), 'the bytes the browser sent carried a secret');
        assert.ok(!log.includes(secret), 'the relay log holds a secret');
      }
      for (const r of context.requests) {
        // data: (the page's empty icon) and blob: (a verified share handed to the download) never
        // leave the browser.
        assert.ok(r.url.startsWith(origin + '/') || r.url.startsWith('blob:' + origin + '/') || r.url === 'data:,',
          'a request to another origin: ' + r.url);
        assert.ok(!r.headers.referer, 'a request carried a Referer');
      }
      assert.deepStrictEqual(context.pageErrors, []);
    });

    await test('a relay that stops answering is reported as down, with Try again', async () => {
      const source = path.join(work, 'down.txt');
      fs.writeFileSync(source, 'down\n');
      const share = remember(await ots.send([source]));
      const page = await openPage(pageUrl(share));
      await waitState(page, 'details');
      relay.child.kill('SIGKILL'); // the last test: nothing after it needs the relay
      await page.click('#download');
      assert.strictEqual(await errorCode(page, 60000), 'relay_unavailable');
      assert.strictEqual(await page.$eval('#retry', (e) => e.hidden), false);
      await page.close();
    });

    console.log('downloads: ' + filesIn(downloadDir).length + ' files');
  } finally {
    clearTimeout(overall);
    if (browser) await browser.close().catch(() => {});
    await processes.stopAll();
    H.removeTempDirs();
  }
  const failed = results.filter(([, r]) => r !== 'ok');
  console.log(results.length - failed.length + ' passed, ' + failed.length + ' failed');
  process.exit(failed.length === 0 && results.length > 0 ? 0 : 1);
}

main().catch((e) => {
  console.log('FAIL  ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
