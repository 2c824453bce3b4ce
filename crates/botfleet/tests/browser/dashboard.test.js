// The dashboard in a real browser against the real service and emulator: sign-in (password and
// two-factor), live status and live command feed, the command log's filters and search (its syntax
// hint, several terms, the short-search note), what each
// role sees, the server's words on a failed action; a screenshot of every page, and the figures
// docs/benchmarks.md reports (command-to-row delay, load time, bytes on first load).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  startDemo, adminApi, makeUser, world, userSays, emulatorPost, launchBrowser, newPage, signIn, screenshot, eventually,
} from './harness.js';

const T = { timeout: 180_000 };
let demo;
let chrome;
let admin; // a signed-in admin page, reused
let operator;
let viewer;
let emu;
const figures = {};

/** A TOTP code for a base32 secret (RFC 6238, SHA-1, 6 digits, 30 s). */
function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0');
}

/** The row of a bot on the Bots page. */
const botRow = (page, name) => page.locator('tbody tr', { has: page.getByRole('link', { name, exact: true }) });

describe('dashboard', () => {
  before(async () => {
    demo = await startDemo({ rate: 0.5 });
    operator = await makeUser(demo, 'olive', 'operator');
    viewer = await makeUser(demo, 'victor', 'viewer');
    // A shopper of our own, so the simulated shoppers' anti-spam limits never touch it.
    const w = await world(demo);
    const shopper = async (username) => {
      const id = (await emulatorPost(demo, '/users', JSON.stringify({ username }))).match(/"id":\s*(\d+)/)[1];
      await emulatorPost(demo, `/guilds/${w.guild}/members`, `{"user_id": ${id}}`);
      return id;
    };
    // Shoppers of our own (one per test: anti-spam allows 5 commands in 10 s per user).
    emu = { channel: w.channels.general, user: await shopper('tester'), seeker: await shopper('seeker') };
    chrome = await launchBrowser();
    admin = await newPage(chrome.browser, demo);
  });

  after(async () => {
    if (Object.keys(figures).length) console.log(`BENCH ${JSON.stringify(figures)}`);
    await chrome?.close();
    await demo?.stop();
  });

  it('signs in with a password and shows the overview', T, async () => {
    await admin.goto('/');
    await screenshot(admin, 'sign-in');
    await admin.getByLabel('User name').fill('admin');
    await admin.getByLabel('Password').fill('not the password');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.locator('.form-error', { hasText: 'wrong user name or password' }).waitFor();
    await signIn(admin, 'admin', demo.password);
    await admin.getByRole('heading', { name: 'Overview' }).waitFor();
    await admin.locator('.tile', { hasText: 'Running' }).locator('.tile-value', { hasText: '3' }).waitFor({ timeout: 30_000 });
    await admin.locator('.who', { hasText: 'admin' }).waitFor();
    assert.deepEqual(admin.problems, []);
  });

  it('shows a bot stopping and starting without a reload', T, async () => {
    await admin.goto('/#/bots');
    const row = botRow(admin, 'Order Desk');
    await row.getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    await admin.evaluate(() => { window.notReloaded = true; });
    // Buttons that cannot act are disabled: Start on a running bot, Stop on a stopped one.
    assert.equal(await row.getByRole('button', { name: 'Start Order Desk', exact: true }).isDisabled(), true, 'Start on a running bot');
    await row.getByRole('button', { name: 'Stop Order Desk' }).click();
    await row.getByText('Stopped', { exact: true }).waitFor({ timeout: 30_000 });
    await row.locator('button[aria-label="Stop Order Desk"]:disabled').waitFor();
    assert.equal(await row.getByRole('button', { name: 'Start Order Desk', exact: true }).isEnabled(), true, 'Start on a stopped bot');
    assert.equal(await row.getByRole('button', { name: 'Restart Order Desk' }).isEnabled(), true, 'Restart always');
    // Started by someone else (the API): the page follows by itself.
    const bots = await adminApi(demo, 'GET', '/bots');
    const id = bots.items.find((b) => b.name === 'Order Desk').id;
    await adminApi(demo, 'POST', `/bots/${id}/start`);
    await row.getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    await row.locator('button[aria-label="Start Order Desk"]:disabled').waitFor();
    assert.equal(await row.getByRole('button', { name: 'Stop Order Desk' }).isEnabled(), true, 'Stop on a running bot');
    assert.equal(await admin.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
    // Bulk: select two bots and restart them.
    await row.getByRole('checkbox').check();
    await botRow(admin, 'Shop Helper').getByRole('checkbox').check();
    await admin.getByRole('button', { name: 'Restart selected' }).click();
    await admin.locator('.toast', { hasText: 'restart requested for 2 bots' }).waitFor();
    await row.getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    await botRow(admin, 'Shop Helper').getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    assert.deepEqual(admin.problems, []);
  });

  it("shows a user's command in the live feed", T, async () => {
    // Every bot connected (a message sent while its bot reconnects is never seen by it).
    await eventually(async () => (await adminApi(demo, 'GET', '/bots')).items.every((b) => b.status === 'running'), { what: 'every bot running' });
    await admin.goto('/#/');
    await admin.getByRole('heading', { name: 'Live command feed' }).waitFor();
    await admin.locator('.live-live, .live-polling').waitFor({ timeout: 30_000 });
    const delays = [];
    for (let i = 0; i < 5; i += 1) {
      const nonce = `feed${Date.now().toString(36)}${i}`;
      await admin.evaluate((text) => {
        window.seenAt = null;
        const check = () => {
          if (!window.seenAt && [...document.querySelectorAll('tbody tr')].some((r) => r.textContent.includes(text))) {
            window.seenAt = performance.timeOrigin + performance.now();
          }
        };
        new MutationObserver(check).observe(document.body, { childList: true, subtree: true });
      }, nonce);
      const sentAt = Date.now();
      await userSays(demo, emu.channel, emu.user, `!ping ${nonce}`);
      const row = admin.locator('tbody tr', { hasText: nonce });
      await row.waitFor({ timeout: 30_000 });
      const seenAt = await eventually(() => admin.evaluate(() => window.seenAt), { what: 'the row time' });
      delays.push(seenAt - sentAt);
      assert.match(await row.textContent(), /tester/);
    }
    delays.sort((a, b) => a - b);
    figures.command_to_row_ms = { transport: await admin.locator('.live').textContent(), samples: delays.map((d) => Math.round(d)), median: Math.round(delays[2]), max: Math.round(delays[4]) };
    await screenshot(admin, 'overview');
    assert.deepEqual(admin.problems, []);
  });

  it('filters and searches the command log', T, async () => {
    const nonce = `search${Date.now().toString(36)}`;
    await userSays(demo, emu.channel, emu.seeker, `!ping ${nonce}`);
    await userSays(demo, emu.channel, emu.seeker, `!nosuchcommand ${nonce}`);
    await eventually(async () => (await adminApi(demo, 'GET', `/command-logs?q=${nonce}`)).items.length === 2, { what: 'both commands recorded' });
    await admin.goto('/#/commands');
    await admin.getByRole('heading', { name: 'Command log' }).waitFor();
    await admin.locator('tbody tr').first().waitFor();
    // Search: only this test's two commands.
    await admin.getByLabel('Search').fill(nonce);
    await eventually(async () => {
      const rows = await admin.locator('tbody tr').allTextContents();
      return rows.length === 2 && rows.every((r) => r.includes(nonce));
    }, { what: 'the two rows of the search' });
    assert.match(admin.url(), new RegExp(`q=${nonce}`));
    // The syntax hint by the box; two terms, one of them excluded; a short (scanned) search says so.
    assert.match(await admin.locator('.field-q .hint').textContent(), /"exact phrase".*-word/);
    await admin.getByLabel('Search').fill(`${nonce} -nosuchcommand`);
    await eventually(async () => {
      const rows = await admin.locator('tbody tr').allTextContents();
      return rows.length === 1 && rows[0].includes('ping') && !rows[0].includes('nosuchcommand');
    }, { what: 'the one row with the nonce and without the excluded word' });
    assert.equal(await admin.locator('.search-note').count(), 0, 'an indexed search has no note');
    await admin.getByLabel('Search').fill('g');
    await admin.locator('.search-note').waitFor();
    assert.match(await admin.locator('.search-note').textContent(), /newest \d+ rows/);
    await admin.getByLabel('Search').fill(nonce);
    await eventually(async () => (await admin.locator('tbody tr').count()) === 2 && (await admin.locator('.search-note').count()) === 0,
      { what: 'the nonce search again, without the note' });
    // Filter chip: only the failed one.
    await admin.getByRole('button', { name: 'Error', exact: true }).click();
    await eventually(async () => {
      const rows = await admin.locator('tbody tr').allTextContents();
      return rows.length === 1 && rows[0].includes('nosuchcommand') && rows[0].includes('Error');
    }, { what: 'one failed row' });
    // Bot filter with the search cleared: every row is that bot's.
    await admin.getByRole('button', { name: 'All', exact: true }).click();
    await admin.getByLabel('Search').fill('');
    await admin.getByLabel('Bot', { exact: true }).selectOption({ label: 'Stock Keeper' });
    await eventually(async () => {
      const bots = await admin.locator('tbody tr td:nth-child(2)').allTextContents();
      return bots.length > 0 && bots.every((b) => b === 'Stock Keeper');
    }, { what: 'only Stock Keeper rows' });
    await admin.getByLabel('Bot', { exact: true }).selectOption({ label: 'All bots' });
    await admin.locator('tbody tr').first().waitFor();
    await screenshot(admin, 'commands');
    assert.deepEqual(admin.problems, []);
  });

  it("shows the server's message when an action fails", T, async () => {
    await admin.goto('/#/bots/new');
    await admin.getByLabel('Name', { exact: true }).fill('Night Shift');
    await admin.getByLabel('Bot token').fill('not-a-token');
    await admin.getByRole('button', { name: 'Add bot' }).click();
    // The server's field message, beside the token input.
    const refused = await fetch(`${demo.api}/bots`, {
      method: 'POST', headers: { authorization: `Bearer ${demo.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Night Shift', token: 'not-a-token' }),
    }).then((r) => r.json());
    const tokenMessage = refused.error.fields.find((f) => f.field === 'token').message;
    await admin.locator('[data-field="token"] .field-error', { hasText: tokenMessage }).waitFor();
    assert.equal(await admin.getByLabel('Bot token').getAttribute('aria-invalid'), 'true');
    // A name already taken: the server's conflict message, beside the name.
    await admin.getByLabel('Name', { exact: true }).fill('Shop Helper');
    await admin.getByLabel('Bot token').fill('MTAwMDAwMDAwMDAwMDAwMDA5.Abcdef.another-token-of-the-right-shape');
    await admin.getByRole('button', { name: 'Add bot' }).click();
    await admin.locator('[data-field="name"] .field-error', { hasText: 'a bot named "Shop Helper" already exists' }).waitFor();
    await admin.evaluate(() => window.scrollTo(0, 0));
    await screenshot(admin, 'bot-new');
    assert.deepEqual(admin.problems, []);
  });

  it('shows an operator no Users, Audit, API keys or Status page screen', T, async () => {
    const page = await newPage(chrome.browser, demo);
    await signIn(page, operator.username, operator.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Bots' }).waitFor();
    for (const hidden of ['Users', 'Audit log', 'API keys', 'Status page']) {
      assert.equal(await nav.getByRole('link', { name: hidden }).count(), 0, `${hidden} is not offered`);
    }
    await page.goto('/#/users');
    await page.getByRole('heading', { name: 'Not available to you' }).waitFor();
    // Operators run bots: the power buttons are there, "Add bot" is not.
    await page.goto('/#/bots');
    await botRow(page, 'Shop Helper').getByRole('button', { name: 'Start Shop Helper', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Add bot' }).count(), 0);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('shows a viewer no start button', T, async () => {
    const page = await newPage(chrome.browser, demo);
    await signIn(page, viewer.username, viewer.password);
    await page.goto('/#/bots');
    await botRow(page, 'Shop Helper').getByText('Running', { exact: true }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByRole('button', { name: /^Start/ }).count(), 0);
    assert.equal(await page.getByRole('checkbox').count(), 0);
    await page.getByRole('link', { name: 'Shop Helper' }).click();
    await page.getByRole('heading', { name: 'Configuration' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Start', exact: true }).count(), 0);
    assert.equal(await page.getByRole('button', { name: 'Save changes' }).count(), 0);
    assert.equal(await page.getByRole('heading', { name: 'Send a message' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('signs in with two-factor after enrolling on the account page', T, async () => {
    const user = await makeUser(demo, 'tess', 'operator');
    const page = await newPage(chrome.browser, demo);
    await signIn(page, user.username, user.password);
    await page.goto('/#/account');
    await page.getByRole('button', { name: 'Set up two-factor' }).click();
    const secret = (await page.locator('code').first().textContent()).trim();
    await page.getByLabel('Code from the app').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    // The recovery codes are drawn when the server has answered: wait for them, do not race them.
    await page.locator('.codes li').first().waitFor();
    const codes = await page.locator('.codes li').allTextContents();
    assert.equal(codes.length, 10);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('User name').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Two-factor check' }).waitFor();
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await page.getByLabel('Recovery code').fill(codes[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('draws every page (screenshots) at laptop and phone width', T, async () => {
    const bots = await adminApi(demo, 'GET', '/bots');
    const id = bots.items.find((b) => b.name === 'Shop Helper').id;
    const pages = [
      ['bots', '/#/bots', 'Bots'],
      ['bot', `/#/bots/${id}`, 'Configuration'],
      ['bot-logs', '/#/bot-logs', 'Bot log'],
      ['audit', '/#/audit', 'Audit log'],
      ['users', '/#/users', 'Users'],
      ['keys', '/#/keys', 'API keys'],
      ['account', '/#/account', 'Your account'],
      ['nodes', '/#/nodes', 'Nodes'],
    ];
    for (const [name, url, heading] of pages) {
      await admin.goto(url);
      await admin.getByRole('heading', { name: heading, exact: true }).waitFor();
      await admin.locator('.state-loading').waitFor({ state: 'detached', timeout: 30_000 }).catch(() => {});
      await admin.locator('tbody tr, .state-empty, form').first().waitFor();
      await screenshot(admin, name);
    }
    const phone = await newPage(chrome.browser, demo, { width: 390, height: 844 });
    await signIn(phone, 'admin', demo.password);
    await phone.locator('tbody tr').first().waitFor({ timeout: 30_000 });
    await screenshot(phone, 'overview-phone');
    await phone.getByRole('button', { name: 'Menu' }).click();
    await phone.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Bots' }).click();
    await phone.getByRole('heading', { name: 'Bots' }).waitFor();
    assert.deepEqual([...admin.problems, ...phone.problems], []);
    await phone.context().close();
  });

  it('lists this node on the Nodes page: up, serving the database alone, nothing to drain', T, async () => {
    await admin.goto('/#/');
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Nodes' }).click();
    await admin.getByRole('heading', { name: 'Nodes', exact: true }).waitFor();
    const row = admin.locator('tbody tr').first();
    await row.getByText('Up', { exact: true }).waitFor();
    const text = await row.textContent();
    assert.match(text, /\(this node\)/);
    const [node] = (await adminApi(demo, 'GET', '/nodes')).items;
    assert.ok(text.includes(node.id) && text.includes(node.address) && text.includes(node.version), text);
    await admin.getByText('This node serves the database alone').waitFor();
    assert.equal(await admin.getByRole('button', { name: /^(Drain|Take back) node/ }).count(), 0, 'nothing to drain');
    assert.deepEqual(admin.problems, []);
  });

  it('measures load time and bytes on first load', T, async () => {
    // A signed-in person opening the dashboard with an empty cache.
    const storageState = await admin.context().storageState();
    const samples = [];
    for (let i = 0; i < 5; i += 1) {
      const context = await chrome.browser.newContext({ viewport: { width: 1366, height: 900 }, baseURL: demo.origin, storageState });
      const page = await context.newPage();
      const started = Date.now();
      await page.goto('/');
      await page.locator('.tile-value', { hasText: /\d/ }).first().waitFor();
      await page.locator('tbody tr').first().waitFor({ timeout: 30_000 });
      // The headline chart (the Overview also draws the fleet performance charts below it).
      await page.getByRole('img', { name: /^Bar chart of commands per minute/ }).locator('canvas').waitFor();
      const ready = Date.now() - started;
      const timing = await page.evaluate(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const resources = performance.getEntriesByType('resource');
        const assets = resources.filter((r) => new URL(r.name).pathname.startsWith('/assets/'));
        const apiCalls = resources.filter((r) => new URL(r.name).pathname.startsWith('/api/'));
        const sum = (list) => list.reduce((n, r) => n + r.encodedBodySize, 0);
        return {
          dom_content_loaded_ms: nav.domContentLoadedEventEnd,
          load_event_ms: nav.loadEventEnd,
          html_bytes: nav.encodedBodySize,
          asset_bytes: sum(assets),
          api_bytes: sum(apiCalls),
          files: assets.length + 1,
        };
      });
      samples.push({ ready_ms: ready, ...timing });
      await context.close();
    }
    const median = (k) => samples.map((s) => s[k]).sort((a, b) => a - b)[2];
    figures.first_load = {
      overview_ready_ms: median('ready_ms'),
      dom_content_loaded_ms: Math.round(median('dom_content_loaded_ms')),
      load_event_ms: Math.round(median('load_event_ms')),
      dashboard_bytes: samples[0].html_bytes + samples[0].asset_bytes,
      api_bytes: samples[0].api_bytes,
      files: samples[0].files,
    };
    assert.ok(figures.first_load.dashboard_bytes > 0);
  });
});
