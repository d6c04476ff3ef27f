// Alerts and notifications. Against fleetd: a tenant administrator makes a webhook on the page (its
// secret shown once), tests it against a receiver started here (the call's HMAC signature checks
// out with that secret), rotates the secret after a step-up asked by the server, makes a
// notification rule that calls it, cannot delete the webhook while the rule does, and reads the
// delivery log. The events inbox against played answers of the documented API (events chosen for
// the test: a hostile vehicle name, one without a position, two pages; the pipeline's own events
// are acknowledged end to end in reports.test.mjs): filters, acknowledging one and the chosen ones, the place on a map, the
// history link, a hostile vehicle name as text; a notification pushed over the live socket shows
// a toast and counts in the navigation; the pages in French.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { browser, enrolledClient, Fleetd, hasRoute, newPage, signInPage, totp } from './harness.mjs';

let fleetd;
let chrome;
let receiver;
const calls = [];

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('acme', 'admin@acme.example', 'tenant-admin');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  fleetd.addUser('acme', 'viewer@acme.example', 'viewer');
  // The receiver is on loopback: fleetd refuses private addresses unless told otherwise.
  await fleetd.start('--allow-private-webhooks', 'true');
  chrome = await browser();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls.push({ headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
  receiver?.close();
});

function event(id, type, vehicle, extra = {}) {
  return {
    id,
    time: new Date(Date.now() - id * 60_000).toISOString(),
    type,
    vehicle_id: vehicle ? id + 100 : null,
    vehicle_name: vehicle,
    driver_id: null,
    driver_name: null,
    geofence_id: null,
    geofence_name: null,
    lat: 48.8566,
    lon: 2.3522,
    detail: {},
    acknowledged_at: null,
    acknowledged_by: null,
    device_id: 3,
    ...extra,
  };
}

describe('notifications against fleetd', () => {
  test('a webhook (tested, signed, rotated after a step-up), a rule calling it, the delivery log', async (t) => {
    if (!(await hasRoute(fleetd.url, 'GET', '/api/v1/webhooks'))) {
      assert.fail('/api/v1/webhooks is missing from this build');
      return;
    }
    // Enrolled with the previous period's code: sign-in takes this period's, the step-up the next.
    const { secret: totpSecret } = await enrolledClient(fleetd, 'admin@acme.example', { step: -1 });
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'admin@acme.example', { secret: totpSecret, step: 0 });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Events', level: 2 }).waitFor();
    const tabs = page.getByRole('navigation', { name: 'Alerts sections' });
    await tabs.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No webhook yet.').waitFor();

    // Made on the page: the secret is shown once.
    await page.getByRole('button', { name: 'New webhook' }).click();
    await page.getByLabel('Name').fill('Receiver');
    await page.getByLabel('URL').fill(`http://127.0.0.1:${receiver.address().port}/hook`);
    await page.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByTestId('webhook-secret');
    await shown.waitFor();
    const secret = (await shown.textContent()).trim();
    assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'I have stored it' }).click();

    // Tested: the receiver gets a signed "test" event; the signature checks out with that secret.
    await page.getByRole('button', { name: 'Test Receiver' }).click();
    await page.getByText('Receiver answered 200.').waitFor();
    assert.equal(calls.length, 1);
    const call = calls[0];
    const expected = createHmac('sha256', secret).update(`${call.headers['x-fleetd-timestamp']}.${call.body}`).digest('hex');
    assert.equal(call.headers['x-fleetd-signature'], `sha256=${expected}`);
    assert.equal(JSON.parse(call.body).type, 'test');

    // A new secret. The server asks for a step-up (played once here: the sign-in still counts as
    // one for five minutes); the dialog takes the password and a code, and the rotation goes through.
    let refused = false;
    await page.route('**/api/v1/webhooks/*/rotate-secret', (route) => {
      if (refused) return route.continue();
      refused = true;
      return route.fulfill({
        status: 403,
        contentType: 'application/problem+json',
        body: JSON.stringify({ type: 'https://fleetd.dev/problems/step-up-required', title: 'Step-up required', status: 403 }),
      });
    });
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'New secret for Receiver' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await dialog.waitFor();
    await dialog.getByLabel('Password').fill('wrong-password-here');
    await dialog.getByLabel('Authentication code').fill(totp(totpSecret, 1));
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.getByRole('alert').waitFor(); // the wrong password is refused, said in the dialog
    await dialog.getByLabel('Password').fill('plum-orchard-telescope-42');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await dialog.waitFor({ state: 'detached' });
    await shown.waitFor();
    const rotated = (await shown.textContent()).trim();
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);
    await page.getByRole('button', { name: 'I have stored it' }).click();

    // A rule: two event types, every vehicle, the web and webhook channels, quiet at night.
    await tabs.getByRole('link', { name: 'Rules' }).click();
    await page.getByText('No rule yet.').waitFor();
    await page.getByRole('button', { name: 'New rule' }).click();
    await page.locator('form.entity-form').getByLabel('Name').fill('Night watch');
    const types = page.getByRole('group', { name: 'Event types' });
    await types.getByLabel('Overspeed').check();
    await types.getByLabel('Harsh braking').check();
    await page.getByRole('group', { name: 'Channels' }).getByLabel('Webhook').check();
    await page.getByRole('group', { name: 'Users' }).getByLabel(/admin@acme\.example/).check();
    await page.getByRole('group', { name: 'Webhooks' }).getByLabel('Receiver').check();
    await page.getByLabel('Quiet from (HH:MM)').fill('22:00');
    await page.getByLabel('Quiet until (HH:MM)').fill('06:00');
    await page.getByRole('button', { name: 'Create' }).click();
    const row = page.getByRole('row', { name: /Night watch/ });
    await row.waitFor();
    assert.match(await row.textContent(), /Harsh braking, Overspeed.*Every vehicle.*Web, Webhookadmin@acme\.example, Receiver22:00–06:00Yes/);
    // Edited: disabled.
    await page.getByRole('button', { name: 'Edit Night watch' }).click();
    await page.getByLabel('Enabled').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await row.getByRole('cell', { name: 'No', exact: true }).waitFor();

    // The webhook cannot go while the rule calls it; the server's refusal is said.
    await tabs.getByRole('link', { name: 'Webhooks' }).click();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete Receiver' }).click();
    await page.getByText(/conflicts|calls|rule/i).first().waitFor();
    assert.equal(await page.getByRole('row', { name: /Receiver/ }).count(), 1);

    await tabs.getByRole('link', { name: 'Delivery log' }).click();
    await page.getByText('Nothing delivered yet.').waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe('the events inbox and live notifications', () => {
  test('filters, acknowledging, the place and history; a pushed notification; French', async () => {
    const page = await newPage(chrome, { timezoneId: 'Europe/Paris' });
    const hostile = '<img src=x onerror="window.pwned=1">';
    const events = [
      event(1, 'overspeed', 'Van 1', { detail: { speed_kmh: 97, limit_kmh: 80 } }),
      event(2, 'harsh_braking', hostile),
      event(3, 'power_cut', 'Truck 3', { lat: null, lon: null }),
    ];
    const queries = [];
    const acknowledged = [];
    await page.route('**/api/v1/events?*', (route) => {
      const q = new URL(route.request().url()).searchParams;
      queries.push(q.toString());
      let items = events.filter((e) => !acknowledged.includes(e.id));
      if (q.get('type')) items = items.filter((e) => q.get('type').split(',').includes(e.type));
      return route.fulfill({ json: { items, next: null, limit: Number(q.get('limit')) } });
    });
    await page.route('**/api/v1/events/*/acknowledge', (route) => {
      const id = Number(route.request().url().match(/events\/(\d+)\/acknowledge/)[1]);
      assert.ok(route.request().headers()['x-csrf-token'], 'the change carries the CSRF token');
      acknowledged.push(id);
      const e = events.find((x) => x.id === id);
      return route.fulfill({ json: { ...e, acknowledged_at: new Date().toISOString(), acknowledged_by: 2 } });
    });
    const sockets = [];
    await page.routeWebSocket('**/api/v1/live', (ws) => sockets.push(ws));
    await signInPage(page, fleetd.url, 'manager@acme.example');
    // From the live map to the alerts without a reload: the map and the count share one socket.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Events', level: 2 }).waitFor();
    const table = page.locator('table.events');
    await table.getByRole('row', { name: /Overspeed/ }).waitFor();
    assert.equal(await table.locator('tbody tr').count(), 3);
    assert.match(queries.at(-1), /acknowledged=false/);
    // Details and names as text.
    await table.getByText('Speed (km/h): 97 · Limit (km/h): 80').waitFor();
    await table.getByRole('link', { name: hostile, exact: true }).waitFor();
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    // The history link: the vehicle and the local day of the event.
    const history = await page.getByRole('link', { name: 'History of the day of Overspeed — Van 1' }).getAttribute('href');
    assert.match(history, /^\/history\?vehicle=101&from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}&at=[\d-]+T[\d%A.]+Z$/);
    assert.equal(new URL(history, fleetd.url).searchParams.get('at'), events[0].time);
    // The place on a small map (an event without a position has no button).
    await page.getByRole('button', { name: 'Show Overspeed — Van 1 on the map' }).click();
    await page.getByRole('region', { name: "Map of the event's place" }).waitFor();
    await page.locator('path.event-marker').waitFor();
    assert.equal(await page.getByRole('button', { name: /Show Power cut/ }).count(), 0);

    // Filter by type.
    await page.getByLabel('Event type').selectOption('harsh_braking');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr').length === 1);
    assert.match(queries.at(-1), /type=harsh_braking/);
    await page.getByLabel('Event type').selectOption('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr').length === 3);

    // Acknowledge one, then the two others chosen together (by keyboard: Space ticks a box).
    await page.getByRole('button', { name: 'Acknowledge Overspeed — Van 1' }).click();
    await page.getByText('1 event acknowledged.').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('table.events tbody tr').length === 2);
    await page.getByRole('checkbox', { name: /Choose Power cut — Truck 3/ }).focus();
    await page.keyboard.press('Space');
    await page.getByRole('checkbox', { name: /Choose Harsh braking/ }).check();
    await page.getByRole('button', { name: 'Acknowledge 2 chosen' }).click();
    await page.getByText('2 events acknowledged.').waitFor();
    await page.getByText('No event.').waitFor();
    assert.deepEqual(acknowledged.sort(), [1, 2, 3]);

    // A notification pushed over the live socket: a toast, and one more in the navigation's count.
    const bell = page.getByTestId('bell');
    await page.waitForFunction(() => document.querySelector('[data-testid="bell"]')?.getAttribute('aria-label') === 'Notifications: 0 unread');
    assert.equal(sockets.length, 1, 'one socket for the tab');
    sockets[0].send(
      JSON.stringify({
        type: 'notification',
        notification: {
          id: 9,
          channel: 'web',
          recipient: 'user:2',
          status: 'sent',
          attempts: 1,
          next_attempt_at: null,
          last_error: null,
          created_at: new Date().toISOString(),
          delivered_at: new Date().toISOString(),
          read_at: null,
          event: { id: 4, type: 'sos', time: new Date().toISOString(), vehicle: { id: 7, name: hostile, plate: '' }, driver: null, lat: null, lon: null, detail: {} },
        },
      }),
    );
    const toast = page.locator('.toast');
    await toast.getByText(`SOS — ${hostile}`).waitFor();
    assert.equal(await bell.getAttribute('aria-label'), 'Notifications: 1 unread');
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    await toast.getByRole('button', { name: 'Dismiss' }).click();
    await toast.waitFor({ state: 'detached' });

    // French.
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('heading', { name: 'Alertes', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Événements', level: 2 }).waitFor();
    await page.getByRole('navigation', { name: 'Rubriques des alertes' }).getByRole('link', { name: 'Règles' }).click();
    await page.getByRole('heading', { name: 'Règles', level: 2 }).waitFor();
    await page.getByRole('button', { name: 'Nouvelle règle' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("the user's inbox: marked read one by one or all; a viewer reads events but acknowledges none", async () => {
    const page = await newPage(chrome);
    const note = (id, type, read) => ({
      id, channel: 'web', recipient: 'user:3', status: id === 2 ? 'quiet' : 'sent', attempts: 1, next_attempt_at: null,
      last_error: null, created_at: new Date().toISOString(), delivered_at: new Date().toISOString(), read_at: read,
      event: { id: id + 50, type, time: new Date().toISOString(), vehicle: { id: 7, name: 'Van 7', plate: 'AB-123-CD' },
        driver: { id: 1, name: 'Jeanne Martin' }, lat: null, lon: null, detail: { speed_kmh: 97 } },
    });
    const read = new Set();
    await page.route('**/api/v1/notifications?*', (route) => {
      const items = [note(1, 'overspeed', null), note(2, 'sos', null), note(3, 'refuel', '2026-11-01T10:00:00Z')].map((n) =>
        read.has(n.id) ? { ...n, read_at: new Date().toISOString() } : n,
      );
      const unread = items.filter((n) => !n.read_at).length;
      return route.fulfill({ json: { items, total: 3, limit: Number(new URL(route.request().url()).searchParams.get('limit')), offset: 0, unread } });
    });
    await page.route('**/api/v1/notifications/*/read', (route) => {
      read.add(Number(route.request().url().match(/notifications\/(\d+)\/read/)[1]));
      return route.fulfill({ json: {} });
    });
    // Two pages: the first gives the cursor of the older one.
    const befores = [];
    await page.route('**/api/v1/events?*', (route) => {
      const before = new URL(route.request().url()).searchParams.get('before');
      befores.push(before);
      return route.fulfill({
        json: before === 'older-1'
          ? { items: [event(5, 'sos', 'Van 5')], next: null, limit: 50 }
          : { items: [event(1, 'overspeed', 'Van 1')], next: 'older-1', limit: 50 },
      });
    });
    await page.routeWebSocket('**/api/v1/live', () => {});
    await signInPage(page, fleetd.url, 'viewer@acme.example');
    const bell = page.getByTestId('bell');
    await page.waitForFunction(() => document.querySelector('[data-testid="bell"]')?.getAttribute('aria-label') === 'Notifications: 2 unread');
    await bell.click();
    await page.getByRole('heading', { name: 'My notifications', level: 2 }).waitFor();
    await page.getByText('2 unread').waitFor();
    await page.getByText('Overspeed — Van 7').waitFor();
    await page.getByText(/Quiet hours/).waitFor(); // the quiet one is in the inbox, said so
    await page.getByRole('button', { name: 'Mark Overspeed — Van 7 as read' }).click();
    await page.getByText('1 unread', { exact: true }).waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="bell"]')?.getAttribute('aria-label') === 'Notifications: 1 unread');
    await page.getByRole('button', { name: 'Mark these as read' }).click();
    await page.getByText('0 unread', { exact: true }).waitFor();
    assert.deepEqual([...read].sort(), [1, 2]);

    // A viewer: the events, no acknowledging; the rules, no changing; no webhooks tab.
    await page.getByRole('navigation', { name: 'Alerts sections' }).getByRole('link', { name: 'Events' }).click();
    await page.locator('table.events').getByRole('row', { name: /Overspeed/ }).waitFor();
    assert.equal(await page.getByRole('button', { name: /Acknowledge/ }).count(), 0);
    assert.equal(await page.getByRole('checkbox').count(), 0);
    await page.getByRole('button', { name: 'Older' }).click();
    await page.locator('table.events').getByRole('row', { name: /SOS/ }).waitFor();
    assert.equal(befores.at(-1), 'older-1');
    assert.equal(await page.getByRole('button', { name: 'Older' }).isDisabled(), true);
    await page.getByRole('button', { name: 'Newest' }).click();
    await page.locator('table.events').getByRole('row', { name: /Overspeed/ }).waitFor();
    const tabs = page.getByRole('navigation', { name: 'Alerts sections' });
    assert.equal(await tabs.getByRole('link', { name: 'Webhooks' }).count(), 0);
    await tabs.getByRole('link', { name: 'Rules' }).click();
    await page.getByText(/^(No rule yet\.|Night watch)$/).first().waitFor(); // the other test's rule, when it ran
    assert.equal(await page.getByRole('button', { name: 'New rule' }).count(), 0);
    assert.equal(await page.getByRole('button', { name: /^Edit / }).count(), 0);
    await page.goto(`${fleetd.url}/alerts/webhooks`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
