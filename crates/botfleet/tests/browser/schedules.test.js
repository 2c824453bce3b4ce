// The Schedules page in a real browser against the real service and emulator: an admin fills in
// the form, sees the next runs the server computes change as the cron and time zone are typed,
// adds the schedule and finds it in the list with its next run; a bad cron is refused next to its
// field. A schedule that runs every minute shows its run, which links to the job that sent it.
// Run alone: `cd crates/botfleet/tests/browser && node --test schedules.test.js` (after
// `cargo build -p botfleet`).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, adminApi, world, launchBrowser, newPage, signIn, screenshot, eventually } from './harness.js';

const T = { timeout: 240_000 };
let demo;
let chrome;
let page;
let channels;

describe('schedules page', () => {
  before(async () => {
    demo = await startDemo({ rate: 0 });
    chrome = await launchBrowser();
    page = await newPage(chrome.browser, demo);
    await signIn(page, 'admin', demo.password);
    ({ channels } = await world(demo));
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('adds a schedule through the form, with the next runs previewed by the server', T, async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
    await page.getByRole('heading', { name: 'Schedules', exact: true }).waitFor();
    await page.getByText('No schedules yet').waitFor();

    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add a schedule' }) });
    await form.getByLabel('Bot', { exact: true }).selectOption({ label: 'Shop Helper' });
    const channel = channels.general;
    // The bot's channels by name: picking one fills the channel id.
    await form.getByLabel('Pick a channel').selectOption({ label: '#general (Demo Shop)' });
    assert.equal(await form.getByLabel('Channel id').inputValue(), String(channel));
    await form.getByLabel('Message', { exact: true }).fill('Friday sale starts now!');
    await form.getByLabel('Cron expression').fill('30 17 * * FRI');
    await form.getByLabel('Time zone').fill('Europe/Berlin');
    // The preview: five Fridays at 17:30 Berlin time, computed by the server.
    const next = form.getByRole('list', { name: 'Next runs' });
    await eventually(async () => (await next.getByRole('listitem').allTextContents()).every((t) => / 17:30 Europe\/Berlin$/.test(t))
      && (await next.getByRole('listitem').count()) === 5, { what: 'the preview of five Fridays at 17:30' });
    const expected = await adminApi(demo, 'POST', '/schedules/preview', { cron: '30 17 * * FRI', time_zone: 'Europe/Berlin' });
    const shown = await next.locator('time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')));
    assert.deepEqual(shown, expected.next_runs.map((r) => r.at));

    // A cron that never fires is refused in the preview already.
    await form.getByLabel('Cron expression').fill('0 0 31 2 *');
    await form.getByText(/cron: never fires/).waitFor();
    await form.getByLabel('Cron expression').fill('30 17 * * FRI');
    await next.waitFor();

    await form.getByRole('button', { name: 'Add schedule' }).click();
    await page.locator('.toast', { hasText: 'Schedule added: next run' }).waitFor();
    const row = page.locator('tr[data-schedule]', { hasText: 'Friday sale starts now!' });
    await row.waitFor();
    assert.match(await row.textContent(), /Shop Helper/);
    assert.match(await row.textContent(), /30 17 \* \* FRI \(Europe\/Berlin\)/);
    const nextRun = await row.locator('.next-run time').getAttribute('datetime');
    assert.equal(nextRun, expected.next_runs[0].at);
    await row.getByText('Not yet').waitFor();
    const saved = (await adminApi(demo, 'GET', '/schedules')).items;
    assert.equal(saved.length, 1);
    assert.equal(saved[0].created_by, 'user admin');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'schedules');

    // A bad cron on submit: the error sits next to its field; nothing more is stored.
    await form.getByLabel('Message', { exact: true }).fill('never');
    await form.getByLabel('Cron expression').fill('61 * * * *');
    await form.getByRole('button', { name: 'Add schedule' }).click();
    await form.locator('[data-field="cron"] .field-error').waitFor();
    assert.equal((await adminApi(demo, 'GET', '/schedules')).items.length, 1);
  });

  it('shows a run of a schedule, linked to the job that sent it', T, async () => {
    const channel = channels.general;
    const bots = (await adminApi(demo, 'GET', '/bots')).items;
    const bot = bots.find((b) => b.name === 'Shop Helper');
    const made = await adminApi(demo, 'POST', '/schedules', {
      bot_id: bot.id, channel_id: String(channel), message: { content: 'Every minute' }, cron: '* * * * *', time_zone: 'UTC',
    });
    const ran = await eventually(async () => {
      const runs = (await adminApi(demo, 'GET', `/schedules/${made.id}/runs`)).items;
      return runs.find((r) => r.state === 'sent');
    }, { timeout: 150_000, what: 'the first minutely run to be sent' });
    await page.goto('/#/schedules');
    const row = page.locator('tr[data-schedule]', { hasText: 'Every minute' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Runs' }).click();
    const link = page.locator('.runs-list').getByRole('link', { name: `job #${ran.job_id}` });
    await link.click();
    await page.waitForURL(new RegExp(`#/jobs/${ran.job_id}$`));
    await page.getByText('Succeeded', { exact: true }).first().waitFor();
    // Off: the switch stops it.
    await page.goto('/#/schedules');
    await row.getByRole('checkbox').uncheck();
    await page.locator('.toast', { hasText: 'Schedule off' }).waitFor();
    assert.equal((await adminApi(demo, 'GET', `/schedules/${made.id}`)).enabled, false);
  });
});
