// Screenshots of the browser receiver for the README (built with the tests, not run by ctest):
//   node tests/web/web_screenshots.js --relay build/relay/ots-relay --ots build/desktop/cli/ots
// rewrites resources/screenshots/web-*.png: desktop (1280 px) and phone (390 px) widths, light and
// dark, of the file list, the password prompt, a download in progress, a finished one and an error.
'use strict';

const fs = require('fs');
const path = require('path');
const H = require('./WebHarness');

function argument(name) {
  const i = process.argv.indexOf('--' + name);
  if (i < 0 || i + 1 >= process.argv.length) throw new Error('missing --' + name);
  return process.argv[i + 1];
}

const out = path.join(__dirname, '..', '..', 'resources', 'screenshots');
const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

async function main() {
  const processes = new H.Processes();
  const work = H.tempDir('ots-web-shots-');
  const downloadDir = path.join(work, 'downloads');
  fs.mkdirSync(downloadDir);
  let browser = null;
  try {
    const redis = new H.Redis(processes);
    await redis.start();
    const relay = new H.Relay(processes, argument('relay'), redis);
    await relay.start();
    const proxy = new H.Proxy(relay.port);
    await proxy.start();
    const ots = new H.Ots(argument('ots'), 'http://127.0.0.1:' + relay.port);
    const launched = await H.launchBrowser('chromium', downloadDir);
    browser = launched.browser;

    const folder = path.join(work, 'Quarterly report');
    fs.mkdirSync(path.join(folder, 'figures'), { recursive: true });
    H.writeRandomFile(path.join(folder, 'report.pdf'), 2400000);
    H.writeRandomFile(path.join(folder, 'figures', 'revenue.png'), 310000);
    H.writeRandomFile(path.join(folder, 'figures', 'costs.png'), 287000);
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'Draft — do not forward.\n');
    const big = path.join(work, 'dataset.tar');
    H.writeRandomFile(big, 96 * 1024 * 1024);

    const url = (share) => 'http://127.0.0.1:' + proxy.port + '/s/' + share.id + '#' + share.secret;
    const stateOf = (page) => page.$eval('#state', (e) => e.dataset.state);
    const until = (page, wanted) => H.waitFor(wanted, async () => (await stateOf(page)) === wanted, 60000);

    for (const [width, viewport] of Object.entries(sizes)) {
      for (const scheme of ['light', 'dark']) {
        const shot = async (page, name) => {
          await page.screenshot({ path: path.join(out, 'web-' + name + '-' + width + '-' + scheme + '.png') });
        };
        const open = async (share) => {
          const page = await browser.newPage();
          await page.setViewport(viewport);
          await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: scheme }]);
          await page.goto(url(share));
          return page;
        };
        const files = await ots.send([folder], { downloads: 2, note: 'The figures are in the folder.\nCall me if anything is missing.' });
        let page = await open(files);
        await until(page, 'details');
        await shot(page, 'files');
        await page.close();

        const locked = await ots.send([folder], { password: 'tangerine submarine' });
        page = await open(locked);
        await until(page, 'password');
        await page.type('#password', 'tangerine');
        await page.click('#unlock');
        await H.waitFor('wrong password', async () => (await page.$eval('#password-hint', (e) => e.dataset.code)) === 'wrong_password', 30000);
        await shot(page, 'password');
        await page.close();

        const large = await ots.send([big]);
        page = await open(large);
        await until(page, 'details');
        proxy.throttle(8 * 1024 * 1024);
        await page.click('#download');
        await H.waitFor('progress', async () => (await page.$eval('#progress', (e) => e.value / e.max)) > 0.3, 60000);
        await shot(page, 'progress');
        proxy.throttle(0);
        await until(page, 'done');
        await shot(page, 'done');
        await page.close();

        const expired = await ots.send([folder], { expires: '1h' });
        await relay.advanceClock(2 * 3600);
        page = await open(expired);
        await until(page, 'error');
        await shot(page, 'error');
        await page.close();
        await redis.cli(['DEL', '{ots}:test:clock-offset']);
        for (const name of fs.readdirSync(downloadDir)) fs.rmSync(path.join(downloadDir, name), { force: true });
      }
    }
    console.log('wrote ' + fs.readdirSync(out).filter((n) => n.startsWith('web-')).length + ' screenshots to ' + out);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await processes.stopAll();
    H.removeTempDirs();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
