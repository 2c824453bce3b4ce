// Alerts in a real browser against the real service: an admin adds a channel and its test shows
// the failure; adds a rule through the form (a bad value is refused beside its field, then a good
// one fires) and the banner appears on the Overview without a reload; the Alerts page shows the
// incident and its notification timeline; an operator acknowledges it from the banner and every
// page says who; a viewer sees it all without a button; maintenance windows are added and removed;
// disabling the rule takes the banner away live; a channel and a rule are edited.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, adminApi, makeUser, launchBrowser, newPage, signIn, screenshot, eventually } from './harness.js';

const T = { timeout: 180_000 };
// Nothing listens on the discard port of this machine: every delivery there fails at once.
const DEAD_URL = 'http://127.0.0.1:9/botfleet-alerts';
let demo;
let chrome;
let admin;
let operator;
let viewer;

const banner = (page) => page.locator('.alert-strip .alert-item', { hasText: 'Memory' });
/** Before a screenshot: no toasts over the page, scrolled to the top. */
const tidy = (page) => page.evaluate(() => { document.querySelectorAll('.toast').forEach((t) => t.remove()); window.scrollTo(0, 0); });

describe('alerts', () => {
  before(async () => {
    demo = await startDemo({ rate: 0.1 });
    operator = await makeUser(demo, 'oscar', 'operator');
    viewer = await makeUser(demo, 'vera', 'viewer');
    chrome = await launchBrowser();
    admin = await newPage(chrome.browser, demo);
    await signIn(admin, 'admin', demo.password);
  });

  after(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  it('adds a channel and shows why its test was not delivered', T, async () => {
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await admin.getByRole('heading', { name: 'Alerts', exact: true }).waitFor();
    await admin.getByRole('tab', { name: 'Channels' }).click();
    await admin.locator('.state-empty', { hasText: 'No channels yet' }).waitFor();
    const form = admin.locator('form', { has: admin.getByRole('heading', { name: 'Add a channel' }) });
    await form.getByLabel('Name', { exact: true }).fill('Ops hook');
    await form.getByLabel('Kind').selectOption({ label: 'HTTP webhook (signed JSON)' });
    await form.getByLabel('URL').fill(DEAD_URL);
    // Too short a secret: the server's words beside the field.
    await form.getByLabel('Signing secret').fill('short');
    await form.getByRole('button', { name: 'Add channel' }).click();
    await form.locator('[data-field="secret"] .field-error', { hasText: 'must be 16 to 256 characters' }).waitFor();
    await form.getByLabel('Signing secret').fill('a-signing-secret-of-some-length');
    await form.getByRole('button', { name: 'Add channel' }).click();
    const row = admin.locator('tbody tr', { hasText: 'Ops hook' });
    await row.waitFor();
    assert.match(await row.textContent(), /127\.0\.0\.1:9\/botfleet-alerts/);
    await row.getByRole('button', { name: 'Send a test to Ops hook' }).click();
    const result = row.locator('.test-result');
    await result.getByText('Not delivered').waitFor({ timeout: 30_000 });
    const why = (await result.locator('.delivery-error').textContent()).trim();
    assert.ok(why.length > 5, `the reason is shown: ${why}`);
    assert.deepEqual(admin.problems, []);
  });

  it('adds a rule through the form: a bad value is refused beside its field, then it fires and the banner appears', T, async () => {
    await admin.getByRole('tab', { name: 'Rules' }).click();
    await admin.locator('.state-empty', { hasText: 'No rules yet' }).waitFor();
    const form = admin.locator('form', { has: admin.getByRole('heading', { name: 'Add a rule' }) });
    await form.getByLabel('Name', { exact: true }).fill('Memory');
    await form.getByLabel('Condition').selectOption({ label: 'Memory over' });
    // Only the condition's own number is asked for, and no bot (it is about the node).
    assert.equal(await form.getByLabel('Down for (seconds)').isVisible(), false);
    assert.equal(await form.getByLabel('Bot', { exact: true }).isVisible(), false);
    await form.getByLabel('Memory above (MB)').fill('0');
    await form.getByLabel('Ops hook').check();
    await form.getByRole('button', { name: 'Add rule' }).click();
    const error = form.locator('[data-field="condition.megabytes"] .field-error');
    await error.waitFor();
    assert.match(await error.textContent(), /must be from 1 to 1048576/);
    assert.equal(await form.getByLabel('Memory above (MB)').getAttribute('aria-invalid'), 'true');
    assert.equal((await adminApi(demo, 'GET', '/alerts/rules')).items.length, 0, 'nothing was saved');

    await form.getByLabel('Memory above (MB)').fill('1');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await admin.locator('tbody tr', { hasText: 'Memory above 1 MB' }).waitFor();
    await admin.evaluate(() => { window.notReloaded = true; });
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await admin.getByRole('heading', { name: 'Overview' }).waitFor();
    // Any process is over 1 MB: it fires at the next evaluation (every 5 s in the demo).
    await banner(admin).waitFor({ timeout: 30_000 });
    assert.match(await banner(admin).textContent(), /Firing/);
    assert.match(await banner(admin).textContent(), /since/);
    await banner(admin).getByRole('button', { name: /^Acknowledge Memory/ }).waitFor();
    assert.equal(await admin.evaluate(() => window.notReloaded), true, 'the page was not reloaded');
    await tidy(admin);
    await screenshot(admin, 'alerts-banner');
    assert.deepEqual(admin.problems, []);
  });

  it('shows the incident on the Alerts page with its notification timeline', T, async () => {
    await banner(admin).getByRole('link', { name: /^Details of Memory/ }).click();
    await admin.getByRole('heading', { name: 'Firing now' }).waitFor();
    const card = admin.locator('.incidents li.incident', { hasText: 'Memory' });
    await card.waitFor();
    // Opened from the banner: its timeline is open.
    const toggle = card.getByRole('button', { name: /^Timeline of Memory/ });
    await eventually(async () => (await toggle.getAttribute('aria-expanded')) === 'true', { what: 'the timeline to open' });
    const fired = card.locator('.tl-item', { hasText: 'Fired' });
    await fired.waitFor();
    // Its delivery to the dead hook: pending with its next attempt, or failed, with the error.
    const delivery = fired.locator('.delivery', { hasText: 'Ops hook' });
    await eventually(async () => /Pending|Failed/.test(await delivery.textContent()) && (await delivery.locator('.delivery-error').count()) === 1,
      { what: 'the failed attempt in the timeline', timeout: 40_000 });
    const text = await delivery.textContent();
    if (/Pending/.test(text)) assert.match(text, /next attempt/);
    await tidy(admin);
    await screenshot(admin, 'alerts');
    assert.deepEqual(admin.problems, []);
  });

  it('lets an operator acknowledge from the banner, and every page says who', T, async () => {
    const page = await newPage(chrome.browser, demo);
    await signIn(page, operator.username, operator.password);
    await banner(page).waitFor({ timeout: 30_000 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).waitFor();
    // No rule form for an operator.
    await page.goto('/#/alerts?tab=rules');
    await page.locator('tbody tr', { hasText: 'Memory' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Add a rule' }).count(), 0);
    assert.equal(await page.getByRole('tab', { name: 'Channels' }).count(), 0);
    await banner(page).getByRole('button', { name: /^Acknowledge Memory/ }).click();
    await banner(page).getByText('acknowledged by oscar').waitFor();
    assert.equal(await banner(page).getByRole('button', { name: /^Acknowledge/ }).count(), 0);
    // The admin's page follows without a reload.
    await banner(admin).getByText('acknowledged by oscar').waitFor({ timeout: 30_000 });
    await admin.locator('.incidents li.incident', { hasText: 'Memory' }).locator('.incident-ack', { hasText: 'Acknowledged by oscar' }).waitFor();
    await admin.locator('.tl-item', { hasText: 'Acknowledged' }).waitFor();
    const incident = (await adminApi(demo, 'GET', '/alerts/incidents?state=firing')).items[0];
    assert.equal(incident.acknowledged_by, 'oscar');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('shows a viewer the incident, rules and windows without a button', T, async () => {
    const page = await newPage(chrome.browser, demo);
    await signIn(page, viewer.username, viewer.password);
    await banner(page).getByText('acknowledged by oscar').waitFor({ timeout: 30_000 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    const card = page.locator('.incidents li.incident', { hasText: 'Memory' });
    await card.waitFor();
    await card.getByRole('button', { name: /^Timeline of Memory/ }).click();
    await card.locator('.tl-item', { hasText: 'Fired' }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Acknowledge/ }).count(), 0);
    assert.equal(await page.getByRole('tab', { name: 'Channels' }).count(), 0);
    // The tabs by keyboard: the arrow moves to Rules and opens it.
    await page.getByRole('tab', { name: 'Incidents' }).focus();
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.getByRole('tab', { name: 'Rules' }).getAttribute('aria-selected'), 'true');
    await page.locator('tbody tr', { hasText: 'Memory above 1 MB' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Add a rule' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^(Edit|Delete)/ }).count(), 0);
    assert.equal(await page.getByRole('switch').count(), 0);
    await page.getByRole('tab', { name: 'Maintenance' }).click();
    await page.locator('.state-empty', { hasText: 'No maintenance windows' }).waitFor();
    assert.equal(await page.getByRole('heading', { name: 'Add a maintenance window' }).count(), 0);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  it('adds and removes maintenance windows', T, async () => {
    await admin.goto('/#/alerts?tab=maintenance');
    const form = admin.locator('form', { has: admin.getByRole('heading', { name: 'Add a maintenance window' }) });
    await form.waitFor();
    // Once, from now for an hour (the form's own start and end): on now.
    await form.getByLabel('Name', { exact: true }).fill('Moving servers');
    await form.getByRole('button', { name: 'Add window' }).click();
    const once = admin.locator('tbody tr', { hasText: 'Moving servers' });
    await once.getByText('Active now').waitFor();
    // Weekly with no day: the server's words beside the days; then with two.
    await form.getByLabel('Name', { exact: true }).fill('Nightly backup');
    await form.getByLabel('Every week').check();
    await form.getByRole('button', { name: 'Add window' }).click();
    await form.locator('[data-field="weekly.days"] .field-error').waitFor();
    await form.getByLabel('Mon', { exact: true }).check();
    await form.getByLabel('Thu', { exact: true }).check();
    await form.getByLabel('Starts at (UTC)').fill('03:30');
    await form.getByLabel('Lasts (minutes)').fill('45');
    await form.getByLabel('Rule', { exact: true }).selectOption({ label: 'Memory' });
    await form.getByRole('button', { name: 'Add window' }).click();
    const weekly = admin.locator('tbody tr', { hasText: 'Nightly backup' });
    await weekly.waitFor();
    assert.match(await weekly.textContent(), /Every Mon, Thu at 03:30 UTC for 45 min/);
    assert.match(await weekly.textContent(), /Rule Memory/);
    await tidy(admin);
    await screenshot(admin, 'alerts-maintenance');
    await once.getByRole('button', { name: 'Delete Moving servers' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Delete window' }).click();
    await once.waitFor({ state: 'detached' });
    const left = (await adminApi(demo, 'GET', '/alerts/maintenance')).items.map((w) => w.name);
    assert.deepEqual(left, ['Nightly backup']);
    assert.deepEqual(admin.problems, []);
  });

  it('takes the banner away live when the rule is disabled, and refuses to delete a channel in use', T, async () => {
    await admin.goto('/#/alerts?tab=channels');
    const channel = admin.locator('tbody tr', { hasText: 'Ops hook' });
    await channel.getByRole('button', { name: 'Delete Ops hook' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Delete channel' }).click();
    await admin.locator('.toast-error', { hasText: 'is used by the rule(s) "Memory"' }).waitFor();
    await admin.getByRole('tab', { name: 'Rules' }).click();
    const rule = admin.locator('tbody tr', { hasText: 'Memory above 1 MB' });
    await banner(admin).waitFor();
    await rule.getByRole('switch', { name: 'Rule Memory enabled' }).click();
    await banner(admin).waitFor({ state: 'detached', timeout: 30_000 });
    await admin.locator('.alert-strip-on').waitFor({ state: 'detached' });
    await admin.getByRole('tab', { name: 'Incidents' }).click();
    await admin.locator('.incidents li.incident-resolved', { hasText: 'Memory' }).waitFor();
    await admin.locator('.state-empty', { hasText: 'Nothing is firing' }).waitFor();
    assert.deepEqual(admin.problems, []);
  });

  it('edits a channel and a rule through their forms', T, async () => {
    await admin.getByRole('tab', { name: 'Channels' }).click();
    await admin.getByRole('button', { name: 'Edit Ops hook' }).click();
    const channelForm = admin.locator('form', { has: admin.getByRole('heading', { name: 'Edit "Ops hook"' }) });
    assert.equal(await channelForm.getByLabel('Kind').isDisabled(), true);
    await channelForm.getByLabel('Name', { exact: true }).fill('Ops webhook');
    await channelForm.getByRole('button', { name: 'Save channel' }).click();
    await admin.locator('tr[data-channel]', { hasText: 'Ops webhook' }).waitFor();
    const channel = (await adminApi(demo, 'GET', '/alerts/channels')).items[0];
    assert.equal(channel.name, 'Ops webhook');
    assert.equal(channel.target, DEAD_URL, 'an empty URL keeps the old one');

    await admin.getByRole('tab', { name: 'Rules' }).click();
    await admin.getByRole('button', { name: 'Edit Memory' }).click();
    const ruleForm = admin.locator('form', { has: admin.getByRole('heading', { name: 'Edit "Memory"' }) });
    assert.equal(await ruleForm.getByLabel('Memory above (MB)').inputValue(), '1');
    assert.equal(await ruleForm.getByLabel('Ops webhook').isChecked(), true);
    await ruleForm.getByLabel('Send again every (seconds)').fill('5');
    await ruleForm.getByRole('button', { name: 'Save rule' }).click();
    await ruleForm.locator('[data-field="resend_every_seconds"] .field-error', { hasText: 'must be 0 (never) or from 10 to 604800' }).waitFor();
    await ruleForm.getByLabel('Send again every (seconds)').fill('600');
    await ruleForm.getByRole('button', { name: 'Save rule' }).click();
    await admin.locator('tr[data-rule]', { hasText: 'every 10 min' }).waitFor();
    await admin.getByRole('heading', { name: 'Add a rule' }).waitFor();
    const rule = (await adminApi(demo, 'GET', '/alerts/rules')).items[0];
    assert.equal(rule.resend_every_seconds, 600);
    assert.equal(rule.enabled, false, 'still off, as it was');
    assert.deepEqual(rule.channel_ids, [channel.id]);
    assert.deepEqual(admin.problems, []);
  });

  it('draws the banner and the Alerts page at phone width', T, async () => {
    await adminApi(demo, 'POST', '/alerts/rules', { name: 'Memory, again', condition: { kind: 'memory_over', megabytes: 1 } });
    const phone = await newPage(chrome.browser, demo, { width: 390, height: 844 });
    await signIn(phone, 'admin', demo.password);
    await phone.locator('.alert-strip .alert-item', { hasText: 'Memory, again' }).waitFor({ timeout: 30_000 });
    await phone.getByRole('button', { name: 'Menu' }).click();
    await phone.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await phone.locator('.incidents li.incident', { hasText: 'Memory, again' }).waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling (${overflow}px too wide)`);
    await tidy(phone);
    await screenshot(phone, 'alerts-phone');
    assert.deepEqual(phone.problems, []);
    await phone.context().close();
  });
});
