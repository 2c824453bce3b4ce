// Announcements in a real browser against the real service and emulator: the Announce page (in
// the nav) sends two messages to two channels as a bot; a bad channel id is shown beside the
// channel box first and nothing is sent; Send opens the job's page, whose progress moves to 4 of 4
// done and Succeeded; the emulator's channels show each message once, in order. A viewer (no
// bots.message) is not offered the page.
//
//   cd crates/botfleet/tests/browser && node --test announce.test.js   (after cargo build -p botfleet)

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startDemo, parseBigJson, launchBrowser, newPage, signIn, world, makeUser, eventually,
} from './harness.js';

const T = { timeout: 300_000 };
let demo;
let chrome;
let admin;

/** The bot messages in a channel whose text starts with `prefix` (the emulator's record). */
async function posted(channelId, prefix) {
  const text = await (await fetch(`${demo.emulator}/_emulator/channels/${channelId}/messages`)).text();
  const messages = parseBigJson(text);
  const list = Array.isArray(messages) ? messages : messages.messages ?? messages.items ?? [];
  return list.filter((m) => String(m.content ?? '').startsWith(prefix)).map((m) => m.content);
}

describe('announce', () => {
  before(async () => {
    demo = await startDemo({ rate: 0 });
    chrome = await launchBrowser();
    admin = await newPage(chrome.browser, demo);
    await signIn(admin, 'admin', demo.password);
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('sends two messages to two channels and follows the job to succeeded', T, async () => {
    const { channels } = await world(demo);
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Announce' }).click();
    await admin.getByRole('heading', { name: 'Announce' }).waitFor();
    const form = admin.locator('form');
    await form.getByLabel('Send as').selectOption({ label: 'Shop Helper' });
    await form.getByLabel('Text').first().fill('Sale: 20% off everything');
    await admin.getByRole('button', { name: 'Add another message' }).click();
    await form.getByLabel('Text').nth(1).fill('Sale: ends Sunday at 18:00');
    assert.equal(await form.getByLabel('Allow pings').count(), 1, 'an admin may allow pings');

    // A channel id that is not one: the server's 422 beside the channel box; nothing is sent.
    await form.getByLabel('Channel ids').fill(`${channels.general}\n12`);
    await admin.getByRole('button', { name: 'Send', exact: true }).click();
    const error = form.locator('[data-field="channels"] .field-error');
    await error.waitFor();
    assert.match(await error.textContent(), /^12: must be a Discord channel id/);
    assert.equal(await form.getByLabel('Channel ids').getAttribute('aria-invalid'), 'true');
    assert.match(admin.url(), /#\/announce$/);

    // One channel ticked by name, one typed by id.
    await form.getByRole('group', { name: 'Channels' }).getByLabel('#general (Demo Shop)').check();
    await form.getByLabel('Channel ids').fill(`${channels.orders}`);
    await admin.getByRole('button', { name: 'Send', exact: true }).click();
    await admin.waitForURL(/#\/jobs\/\d+$/);
    const id = Number(admin.url().split('/').pop());
    await admin.getByRole('heading', { name: `Job ${id}: Announcement: 2 messages to 2 channels` }).waitFor();
    const bar = admin.getByRole('progressbar');
    assert.equal(await bar.getAttribute('aria-valuemax'), '4');
    await admin.getByText('4 of 4 done', { exact: true }).waitFor({ timeout: 60_000 });
    await admin.locator('.page-head').getByText('Succeeded', { exact: true }).waitFor({ timeout: 30_000 });
    // Each item says where its message went, and is done.
    const rows = admin.locator('table.job-items tbody tr');
    await eventually(async () => (await rows.count()) === 4, { what: 'four items' });
    assert.match(await rows.first().textContent(), /Message 1 → channel \d+ as Shop Helper/);
    assert.equal(await admin.locator('table.job-items [data-state="ok"]').count(), 4);

    // Discord (the emulator) has each message once, in order, in both channels.
    for (const channel of [channels.general, channels.orders]) {
      await eventually(async () => (await posted(channel, 'Sale:')).length === 2, { what: 'the messages in the channel' });
      assert.deepEqual(await posted(channel, 'Sale:'), ['Sale: 20% off everything', 'Sale: ends Sunday at 18:00']);
    }
  });

  it('is not offered to a viewer', T, async () => {
    const viewer = await makeUser(demo, 'vera', 'viewer');
    const page = await newPage(chrome.browser, demo);
    await signIn(page, viewer.username, viewer.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Bots' }).waitFor();
    assert.equal(await nav.getByRole('link', { name: 'Announce' }).count(), 0);
    await page.close();
  });
});
