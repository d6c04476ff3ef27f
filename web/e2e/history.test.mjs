// The history page. Against fleetd end to end: a simulated phone drives, and the route is shown,
// played back and exported. And
// the page against a route played by the test (the documented JSON): the days asked for are the
// zone's midnights, the name is text, the timeline scrubs with the keyboard and plays, the list
// follows, the export links carry the same range.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browser, enrolledClient, Fleetd, hasRoute, newPage, PASSWORD, signInPage, localDay as day } from './harness.mjs';

let fleetd;
let chrome;
let vehicleId;
let ops;
const IMEI = 'phone-history-1';

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('operator', 'ops@fleetd.example', 'operator-admin');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  await fleetd.start();
  chrome = await browser();
  // The operator registers the phone for acme; the manager adds the vehicle and installs it an hour ago.
  ({ client: ops } = await enrolledClient(fleetd, 'ops@fleetd.example'));
  const device = await ops.api('POST', '/api/v1/devices', { imei: IMEI, protocol: 'osmand', tenant: 'acme' });
  assert.equal(device.status, 201, JSON.stringify(device.body));
  const manager = fleetd.client();
  await manager.api('POST', '/api/v1/auth/login', { email: 'manager@acme.example', password: PASSWORD });
  const vehicle = await manager.api('POST', '/api/v1/vehicles', { name: 'Van 9' });
  vehicleId = vehicle.body.id;
  const installed = await manager.api('POST', '/api/v1/installations', {
    vehicle_id: vehicleId,
    device_id: device.body.id,
    from: new Date(Date.now() - 3_600_000).toISOString(),
  });
  assert.equal(installed.status, 201, JSON.stringify(installed.body));
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

describe('history against fleetd', () => {
  test("a simulated vehicle's route is shown, played back and exported", async (t) => {
    if (!(await hasRoute(fleetd.url, 'GET', `/api/v1/vehicles/${vehicleId}/positions`))) {
      assert.fail('GET /api/v1/vehicles/{id}/positions is missing from this build');
      return;
    }
    // Twenty positions a minute apart, driving east, ending a minute ago.
    const start = Date.now() - 21 * 60_000;
    for (let i = 0; i < 20; i++) {
      await fleetd.sendOsmand(IMEI, {
        lat: 48.85,
        lon: 2.30 + i * 0.004,
        speedKnots: i % 2 ? 30 : 10,
        bearing: 90,
        time: new Date(start + i * 60_000),
      });
    }
    const page = await newPage(chrome, { timezoneId: 'Europe/Paris' });
    await signInPage(page, fleetd.url, 'manager@acme.example');
    const zone = 'Europe/Paris';
    await page.goto(`${fleetd.url}/history?vehicle=${vehicleId}&from=${day(-1, zone)}&to=${day(0, zone)}`);
    await page.getByRole('heading', { name: 'Van 9' }).waitFor();
    await page.getByText(/^20 points · /).waitFor();
    const at = page.getByTestId('timeline-at');
    const first = await at.textContent();
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction((f) => document.querySelector('[data-testid="timeline-at"]')?.textContent !== f, first);
    await page.getByRole('button', { name: 'Pause' }).click();
    const gpx = await page.evaluate(async () => {
      const a = [...document.querySelectorAll('a')].find((x) => x.textContent === 'GPX');
      const res = await fetch(a.href);
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    });
    assert.equal(gpx.status, 200);
    assert.match(gpx.type, /gpx/);
    assert.equal((gpx.body.match(/<trkpt /g) ?? []).length, 20);

    // The vehicle's page shows its latest position and its age.
    await page.goto(`${fleetd.url}/vehicles/${vehicleId}`);
    const now = page.getByRole('region', { name: 'Now' });
    await now.getByText(/\(\d+ min\.? ago\)/).waitFor();
    await now.getByText('Moving').waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe('vehicle page (latest position played by the test)', () => {
  test('speed, odometer, ignition, voltages, the driver by badge and the active alerts', async () => {
    const manager = fleetd.client();
    await manager.api('POST', '/api/v1/auth/login', { email: 'manager@acme.example', password: PASSWORD });
    const driver = await manager.api('POST', '/api/v1/drivers', { name: 'Jeanne <b>Martin</b>', badge_id: '01AB23CD45EF6789' });
    assert.equal(driver.status, 201, JSON.stringify(driver.body));
    const page = await newPage(chrome, { locale: 'fr-FR' });
    await page.route('**/api/v1/positions/latest?*', (route) =>
      route.fulfill({
        json: {
          items: [
            {
              vehicle_id: vehicleId, vehicle_name: 'Van 9', device_id: 3, time: new Date(Date.now() - 120_000).toISOString(),
              server_time: new Date().toISOString(), lat: 48.85, lon: 2.35, altitude: 30, speed_kmh: 64.4, course: 90,
              satellites: 10, valid: true,
              attributes: { ignition: true, odometer_m: 123456789, battery_v: 4.1, external_voltage_v: 12.6,
                driver_id: '01AB23CD45EF6789', alarm: 'power_cut', dtc_codes: 'P0300' },
            },
          ],
        },
      }),
    );
    await page.routeWebSocket('**/api/v1/live', () => {});
    await page.goto(`${fleetd.url}/signin`);
    await page.getByLabel('E-mail').fill('manager@acme.example');
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.getByRole('navigation', { name: 'Principale' }).waitFor();
    await page.goto(`${fleetd.url}/vehicles/${vehicleId}`);
    const now = page.getByRole('region', { name: 'Maintenant' });
    await now.getByText('64 km/h').waitFor();
    await now.getByText(/123\s456,8\s*km/).waitFor(); // French digits, one decimal
    await now.getByText('Mis', { exact: true }).waitFor();
    await now.getByText('4,1 V').waitFor();
    await now.getByText('12,6 V').waitFor();
    await now.getByText('Jeanne <b>Martin</b>').waitFor(); // the driver of the badge, as text
    await now.getByText('Alarme : power_cut').waitFor();
    await now.getByText('Codes défaut moteur : P0300').waitFor();
    assert.equal(await page.locator('b').count(), 0);
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe('history page (route played by the test)', () => {
  test('the route, its timeline, the points and the exports', async () => {
    // The tenant's zone (New York, set by the operator; /me carries it) decides the day's bounds, not
    // the browser's (Tokyo).
    const tenants = await ops.api('GET', '/api/v1/tenants?q=acme');
    const acme = tenants.body.items.find((t) => t.name === 'acme');
    const zoned = await ops.api('PATCH', `/api/v1/tenants/${acme.id}`, { time_zone: 'America/New_York' });
    assert.equal(zoned.status, 200, JSON.stringify(zoned.body));
    const page = await newPage(chrome, { timezoneId: 'Asia/Tokyo' });
    const hostile = '<img src=x onerror="window.pwned=1"> Van';
    const base = Date.parse('2026-03-07T14:00:00Z');
    const positions = [];
    for (let i = 0; i < 600; i++) {
      positions.push({
        device_id: 3,
        time: new Date(base + i * 10_000).toISOString(),
        server_time: new Date(base + i * 10_000 + 800).toISOString(),
        lat: 40.7 + i * 0.0005,
        lon: -74.0 + i * 0.0005,
        altitude: 12,
        speed_kmh: (i * 7) % 120,
        course: 45,
        satellites: 9,
        valid: true,
        attributes: {},
      });
    }
    const asked = [];
    await page.route('**/api/v1/vehicles/*/positions?*', (route) => {
      const url = new URL(route.request().url());
      asked.push(url.searchParams);
      return route.fulfill({
        json: { vehicle_id: vehicleId, vehicle_name: hostile, from: url.searchParams.get('from'), to: url.searchParams.get('to'), positions },
      });
    });
    await signInPage(page, fleetd.url, 'manager@acme.example');
    // 8 March 2026 is the day New York moves to summer time: that day starts at 05:00 UTC, the next at 04:00.
    await page.goto(`${fleetd.url}/history?vehicle=${vehicleId}&from=2026-03-07&to=2026-03-08`);
    await page.getByText(/^600 points · /).waitFor();
    assert.equal(asked.at(-1).get('from'), '2026-03-07T05:00:00.000Z');
    assert.equal(asked.at(-1).get('to'), '2026-03-09T04:00:00.000Z');
    // The name is text.
    await page.getByRole('heading', { name: hostile }).waitFor();
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    // The route is drawn (on a canvas), with its legend in words.
    await page.locator('.history-map canvas').first().waitFor();
    await page.getByRole('list', { name: 'Speed colours' }).getByText('90 km/h and more').waitFor();

    // The timeline: a slider with the time and speed as its value text; End goes to the last point.
    const slider = page.getByRole('slider', { name: 'Timeline' });
    await slider.focus();
    await page.keyboard.press('End');
    assert.equal(await slider.inputValue(), '599');
    assert.match(await slider.getAttribute('aria-valuetext'), /km\/h/);
    const points = page.getByRole('list', { name: 'Points of the route' });
    await points.locator('button[aria-current="true"]').waitFor();
    await page.keyboard.press('Home');
    assert.equal(await slider.inputValue(), '0');

    // Playback moves the timeline forward, faster at a higher speed.
    await page.getByLabel('Playback speed').selectOption('1200');
    await page.getByRole('button', { name: 'Play' }).click();
    await page.waitForFunction(() => Number(document.querySelector('input[type="range"]')?.value) > 50);
    await page.getByRole('button', { name: 'Pause' }).click();

    // Picking a point moves the timeline there.
    await points.getByRole('button').nth(3).click();
    const picked = Number(await slider.inputValue());
    assert.equal(await points.locator('button[aria-current="true"]').count(), 1);
    assert.ok(picked >= 0);

    // Exports of the same range in each format.
    for (const format of ['gpx', 'geojson', 'csv']) {
      const href = await page.getByRole('link', { name: format === 'geojson' ? 'GeoJSON' : format.toUpperCase() }).getAttribute('href');
      const q = new URL(href, fleetd.url).searchParams;
      assert.equal(q.get('format'), format);
      assert.equal(q.get('from'), '2026-03-07T05:00:00.000Z');
    }

    // More than the server's 31 days is refused on the page.
    await page.getByLabel('From').fill('2026-01-01');
    await page.getByLabel('To', { exact: true }).fill('2026-03-01');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('alert').filter({ hasText: 'At most 31 days' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
