// Operations pages in Chromium against the real fleetd: a fleet manager creates a maintenance plan
// (a date already passed: overdue), sees it in the due list in colour and in words, records a
// service from it and finds it in the service log; sets a vehicle's odometer to the dashboard
// reading and assigns a driver for a period; a tenant administrator changes a processing setting
// and sees the server's refusal of a bad value on its field. A build without these routes fails.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browser, enrolledClient, Fleetd, hasRoute, newPage, PASSWORD, signInPage } from './harness.mjs';

let fleetd;
let chrome;
let api;
let vehicleId;

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  fleetd.addUser('acme', 'admin@acme.example', 'tenant-admin');
  fleetd.addUser('acme', 'admin2@acme.example', 'tenant-admin');
  fleetd.addUser('acme', 'admin3@acme.example', 'tenant-admin');
  await fleetd.start();
  chrome = await browser();
  api = fleetd.client();
  await api.api('POST', '/api/v1/auth/login', { email: 'manager@acme.example', password: PASSWORD });
  const vehicle = await api.api('POST', '/api/v1/vehicles', { name: 'Van <i>7</i>' });
  assert.equal(vehicle.status, 201, JSON.stringify(vehicle.body));
  vehicleId = vehicle.body.id;
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

const day = (offsetDays) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('operations', () => {
  test('a maintenance plan in the due list, a service recorded from it, the service log', async (t) => {
    if (!(await hasRoute(fleetd.url, 'GET', '/api/v1/maintenance/plans'))) {
      return assert.fail('the maintenance routes are missing from this build');
    }
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'manager@acme.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Maintenance' }).click();
    await page.getByRole('heading', { name: 'Maintenance', level: 1 }).waitFor();
    await page.getByText('No maintenance plan yet.').waitFor();

    await page.getByRole('button', { name: 'New plan' }).click();
    const form = page.locator('form.entity-form');
    await form.getByLabel('Vehicle').selectOption({ label: 'Van <i>7</i>' });
    await form.getByLabel('Name').fill('Technical inspection');
    await form.getByLabel('Once, on (date)').fill(day(-3));
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Created.').waitFor();

    // The due list: overdue, said in words, coloured by its class.
    const due = page.getByRole('region', { name: 'Due' });
    const row = due.getByRole('row', { name: /Technical inspection/ });
    await row.waitFor();
    const badge = row.locator('.due-badge');
    assert.equal(await badge.textContent(), 'Overdue');
    assert.match(await badge.getAttribute('class'), /due-overdue/);
    assert.match(await row.textContent(), /Van <i>7<\/i>/);

    // Record the service from the due row; its vehicle and plan are chosen already.
    await row.getByRole('button', { name: 'Record a service: Technical inspection, Van <i>7</i>' }).click();
    assert.equal(await form.getByLabel('Vehicle').inputValue(), String(vehicleId));
    await form.getByLabel('Odometer (km)').fill('12345.5');
    await form.getByLabel('Cost').fill('89.90');
    await form.getByLabel('Note').fill('passed, <b>no</b> remarks');
    await form.getByRole('button', { name: 'Record' }).click();
    await page.getByText('The service is recorded.').waitFor();
    const log = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Service log' }) });
    const entry = log.getByRole('row', { name: /passed, <b>no<\/b> remarks/ });
    await entry.waitFor();
    assert.match(await entry.textContent(), /12,346|12 346|12,345/);
    assert.match(await entry.textContent(), /89\.90/);
    const services = await api.api('GET', '/api/v1/maintenance/services');
    assert.equal(services.status, 200);
    assert.equal(services.body.items.length, 1);
    assert.equal(services.body.items[0].cost_cents, 8990);
    assert.equal(services.body.items[0].odometer_m, 12345500);
    assert.equal(services.body.items[0].currency, 'EUR');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("a vehicle's odometer set to the dashboard reading, a driver assigned for a period", async (t) => {
    if (!(await hasRoute(fleetd.url, 'GET', `/api/v1/vehicles/${vehicleId}/odometer`))) {
      return assert.fail('the odometer routes are missing from this build');
    }
    const driver = await api.api('POST', '/api/v1/drivers', { name: 'Jeanne <b>Martin</b>' });
    assert.equal(driver.status, 201);
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'manager@acme.example');
    await page.goto(`${fleetd.url}/vehicles/${vehicleId}`);
    await page.getByRole('heading', { name: 'Odometer and engine hours' }).waitFor();
    await page.getByRole('button', { name: 'Set the odometer' }).click();
    const form = page.locator('form.entity-form');
    await form.getByLabel('Dashboard reading (km)').fill('123456');
    await form.getByLabel('Engine hours').fill('2100.5');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByText('The odometer is set.').waitFor();
    await page.getByText('123,456.0 km').waitFor();
    const odometer = await api.api('GET', `/api/v1/vehicles/${vehicleId}/odometer`);
    assert.equal(odometer.body.odometer_km, 123456);
    assert.equal(odometer.body.engine_hours, 2100.5);
    assert.ok(odometer.body.set_at);

    await page.getByRole('button', { name: 'Assign a driver' }).click();
    await form.getByLabel('Driver').selectOption({ label: 'Jeanne <b>Martin</b>' });
    await form.getByLabel('From').fill(`${day(-1)}T08:00`);
    await form.getByLabel('To', { exact: true }).fill(`${day(-1)}T18:00`);
    await form.getByRole('button', { name: 'Assign' }).click();
    await page.getByText('The driver is assigned.').waitFor();
    await page.getByRole('rowheader', { name: 'Jeanne <b>Martin</b>' }).waitFor();
    const list = await api.api('GET', `/api/v1/vehicles/${vehicleId}/assignments`);
    assert.equal(list.body.items.length, 1);
    assert.equal(Date.parse(list.body.items[0].to) - Date.parse(list.body.items[0].from), 10 * 3600_000);
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Delete the assignment of Jeanne <b>Martin</b>' }).click();
    await page.getByText('No assignment.').waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('a processing setting changed, and a bad value refused on its field', async (t) => {
    if (!(await hasRoute(fleetd.url, 'GET', '/api/v1/settings/processing'))) {
      return assert.fail('GET /api/v1/settings/processing is missing from this build');
    }
    const { secret } = await enrolledClient(fleetd, 'admin@acme.example');
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'admin@acme.example', { secret });
    await page.goto(`${fleetd.url}/admin/settings`);
    await page.getByRole('heading', { name: 'Processing settings' }).waitFor();
    const settings = page.getByRole('region', { name: 'Processing settings' });
    const field = settings.getByLabel('Shortest trip');
    await field.fill('250');
    await settings.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Settings saved.').waitFor();

    await field.fill('-5');
    await settings.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').first().waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('.field-error').textContent(), /min_trip_distance_m/);
    // The refused field has the focus; the value stays as typed and nothing was saved.
    assert.equal(await field.evaluate((el) => el === document.activeElement), true);
    assert.equal(await field.inputValue(), '-5');
    await page.reload();
    assert.equal(await page.getByLabel('Shortest trip').inputValue(), '250');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test("the organisation's time zone changed by its administrator, a wrong zone refused", async (t) => {
    if (!(await hasRoute(fleetd.url, 'GET', '/api/v1/settings/tenant'))) {
      return assert.fail('GET /api/v1/settings/tenant is missing from this build');
    }
    const { client, secret } = await enrolledClient(fleetd, 'admin2@acme.example');
    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'admin2@acme.example', { secret });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Administration' }).click();
    await page.getByRole('link', { name: 'Settings' }).click();
    const zone = page.getByLabel('Time zone');
    assert.equal(await zone.inputValue(), 'Europe/Paris');
    await zone.fill('Mars/Olympus_Mons');
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.locator('form.entity-form').getByRole('alert').waitFor();
    await zone.fill('America/New_York');
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.getByText('Time zone saved: America/New_York. Dates are now shown in it.').waitFor();
    const me = await client.api('GET', '/api/v1/me');
    assert.equal(me.body.time_zone, 'America/New_York');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  // The page against the documented answers, played by Playwright (the route comes with branch
  // opsapi): only the changed value is sent, a refusal marks the field the detail names.
  test('processing settings page, answers played: only changes are sent, a refusal marked', async () => {
    const { secret } = await enrolledClient(fleetd, 'admin3@acme.example');
    const page = await newPage(chrome);
    const sent = [];
    let stored = { min_trip_distance_m: 300, min_trip_duration_s: 60, idle_event_s: 300, eco_weight_idle: 1, future_knob: 7 };
    await page.route('**/api/v1/settings/processing', async (route) => {
      const req = route.request();
      if (req.method() === 'GET') return route.fulfill({ json: stored });
      const body = req.postDataJSON();
      sent.push(body);
      if (typeof body.min_trip_distance_m === 'number' && body.min_trip_distance_m < 0) {
        return route.fulfill({
          status: 400,
          contentType: 'application/problem+json',
          body: JSON.stringify({ type: 'https://fleetd.dev/problems/invalid-body', title: 'Invalid body', status: 400,
            detail: "'min_trip_distance_m' must be a number from 0 to 100000" }),
        });
      }
      stored = { ...stored, ...body };
      return route.fulfill({ json: stored });
    });
    await signInPage(page, fleetd.url, 'admin3@acme.example', { secret });
    await page.goto(`${fleetd.url}/admin/settings`);
    const field = page.getByLabel('Shortest trip');
    assert.equal(await field.inputValue(), '300');
    // A key this version does not know is shown by its name.
    assert.equal(await page.getByLabel('future_knob').inputValue(), '7');
    await page.getByLabel('Idling', { exact: true }).fill('0.5');
    await page.getByRole('button', { name: 'Save' }).last().click();
    await page.getByText('Settings saved.').waitFor();
    assert.deepEqual(sent.at(-1), { eco_weight_idle: 0.5 });
    await field.fill('-5');
    await page.getByRole('button', { name: 'Save' }).last().click();
    await page.locator('.field-error').waitFor();
    assert.deepEqual(sent.at(-1), { min_trip_distance_m: -5 });
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.match(await page.locator('.field-error').textContent(), /from 0 to 100000/);
    assert.equal(await field.evaluate((el) => el === document.activeElement), true);
    assert.equal(await field.inputValue(), '-5');
    // Nothing typed that is not a number is lost either: it goes as typed and the server says why.
    await page.getByLabel('Briefest trip').fill('soon');
    await page.getByRole('button', { name: 'Save' }).last().click();
    await page.waitForFunction(() => document.querySelectorAll('.field-error, [role=alert]').length > 0);
    assert.equal(sent.at(-1).min_trip_duration_s, 'soon');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
