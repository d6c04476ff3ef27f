// The live map. Two kinds of test:
// - against fleetd end to end: a simulated phone (OsmAnd) reports, its vehicle appears and its
//   marker moves (GET /api/v1/positions/latest and the live WebSocket; a build without them fails);
// - the page itself against the documented answers of those two routes (Playwright stands in
//   for them), so markers, clustering, the list, following and reconnection are tested today.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browser, enrolledClient, Fleetd, newPage, PASSWORD } from './harness.mjs';

let fleetd;
let chrome;

before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('acme', 'viewer@acme.example', 'viewer');
  fleetd.addUser('acme', 'admin@acme.example', 'tenant-admin');
  fleetd.addUser('acme', 'manager@acme.example', 'fleet-manager');
  fleetd.addUser('operator', 'ops@fleetd.example', 'operator-admin');
  fleetd.addUser('operator', 'ops2@fleetd.example', 'operator-admin');
  await fleetd.start();
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

async function signIn(page, email = 'viewer@acme.example', code) {
  await page.goto(`${fleetd.url}/signin`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (code) {
    await page.getByLabel('Authentication code').fill(code);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await page.getByRole('heading', { name: 'Live map' }).waitFor();
}

// A latest position as GET /api/v1/positions/latest and the live feed give it (docs/api.md).
function position(id, name, lat, lon, extra = {}) {
  return {
    vehicle_id: id,
    vehicle_name: name,
    device_id: 1000 + id,
    server_time: new Date().toISOString(),
    altitude: 35,
    satellites: 9,
    time: new Date().toISOString(),
    lat,
    lon,
    speed_kmh: 0,
    course: 0,
    valid: true,
    attributes: {},
    ...extra,
  };
}

async function centreOf(locator) {
  const box = await locator.boundingBox();
  return box && { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

describe('live map against fleetd', () => {
  test('a simulated vehicle shows on the map and its marker moves when the device reports', async (t) => {
    const probe = await fetch(`${fleetd.url}/api/v1/positions/latest`);
    if (probe.status === 404) {
      assert.fail('GET /api/v1/positions/latest and /api/v1/live are missing from this build');
      return;
    }
    // The operator registers the phone for the customer (POST /api/v1/devices); the customer's
    // administrator adds the vehicle (POST /api/v1/vehicles) and installs the phone in it
    // (POST /api/v1/installations). Administrators enrol TOTP first.
    const imei = '358240051111110';
    const { client: ops } = await enrolledClient(fleetd, 'ops@fleetd.example');
    const device = await ops.api('POST', '/api/v1/devices', { imei, protocol: 'osmand', name: 'Phone 1', tenant: 'acme' });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    const { client: admin } = await enrolledClient(fleetd, 'admin@acme.example');
    const vehicle = await admin.api('POST', '/api/v1/vehicles', { name: 'Van 1' });
    assert.equal(vehicle.status, 201, JSON.stringify(vehicle.body));
    const installed = await admin.api('POST', '/api/v1/installations', {
      vehicle_id: vehicle.body.id,
      device_id: device.body.id,
      from: new Date(Date.now() - 60_000).toISOString(),
    });
    assert.equal(installed.status, 201, JSON.stringify(installed.body));
    await fleetd.sendOsmand(imei, { lat: 48.8566, lon: 2.3522 });

    const page = await newPage(chrome);
    await signIn(page);
    const marker = page.locator('.leaflet-marker-icon[title^="Van 1"]');
    await marker.waitFor();
    await page.getByRole('list', { name: 'Vehicles' }).getByRole('button', { name: /Van 1/ }).click(); // zooms in on it
    await page.getByLabel('Follow on the map').uncheck();
    await page.waitForTimeout(500);
    const before = await centreOf(marker);
    await fleetd.sendOsmand(imei, { lat: 48.8566, lon: 2.3552, speedKnots: 20, bearing: 90 });
    await page.waitForFunction(
      (x) => {
        const el = document.querySelector('.leaflet-marker-icon[title^="Van 1"]');
        return el && el.getBoundingClientRect().x > x + 20;
      },
      before.x,
      { timeout: 5000 },
    );
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

// A 15-digit IMEI with its Luhn check digit (the server refuses a mistyped one).
function imeiOf(body14) {
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = Number(body14[i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return body14 + String((10 - (sum % 10)) % 10);
}

describe('live map group filter against fleetd', () => {
  test('picking a group narrows the list to its vehicles and ignores the others\' live moves', async (t) => {
    const probe = await fetch(`${fleetd.url}/api/v1/positions/latest`);
    if (probe.status === 404) {
      assert.fail('GET /api/v1/positions/latest is missing from this build');
      return;
    }
    // Two groups made through the API: North (2 vehicles) and South (1), each vehicle with a phone.
    const { client: ops } = await enrolledClient(fleetd, 'ops2@fleetd.example');
    const manager = fleetd.client();
    assert.equal((await manager.api('POST', '/api/v1/auth/login', { email: 'manager@acme.example', password: PASSWORD })).status, 200);
    const made = {};
    for (const [i, name] of ['North 1', 'North 2', 'South 1', 'East 1'].entries()) {
      const imei = imeiOf(`3582400522222${i}`);
      const device = await ops.api('POST', '/api/v1/devices', { imei, protocol: 'osmand', name, tenant: 'acme' });
      assert.equal(device.status, 201, JSON.stringify(device.body));
      const vehicle = await manager.api('POST', '/api/v1/vehicles', { name });
      assert.equal(vehicle.status, 201, JSON.stringify(vehicle.body));
      const installed = await manager.api('POST', '/api/v1/installations', {
        vehicle_id: vehicle.body.id,
        device_id: device.body.id,
        from: new Date(Date.now() - 60_000).toISOString(),
      });
      assert.equal(installed.status, 201, JSON.stringify(installed.body));
      await fleetd.sendOsmand(imei, { lat: 44 + i * 0.01, lon: 4 });
      made[name] = { imei, id: vehicle.body.id };
    }
    for (const [group, members] of [['North', ['North 1', 'North 2']], ['South', ['South 1']]]) {
      const created = await manager.api('POST', '/api/v1/groups', { name: group });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const filled = await manager.api('PUT', `/api/v1/groups/${created.body.id}/vehicles`, {
        vehicle_ids: members.map((m) => made[m].id),
      });
      assert.equal(filled.status, 200, JSON.stringify(filled.body));
    }

    const page = await newPage(chrome);
    await signIn(page);
    const list = page.getByRole('list', { name: 'Vehicles' });
    await list.getByRole('button', { name: /South 1/ }).waitFor();
    const groupSelect = page.getByLabel('Group');
    assert.equal(await groupSelect.inputValue(), '', 'all groups by default');
    assert.deepEqual(await groupSelect.locator('option').allTextContents(), ['All groups', 'North', 'South']);

    await groupSelect.selectOption({ label: 'North' });
    await page.getByText('2 vehicles', { exact: true }).waitFor();
    await list.getByRole('button', { name: /North 2/ }).waitFor();
    assert.equal(await list.getByRole('button', { name: /South 1/ }).count(), 0);
    assert.equal(await page.locator('.leaflet-marker-icon[title^="South 1"]').count(), 0);
    // South 1 reports while North is shown: it does not come back on the map or in the list.
    await fleetd.sendOsmand(made['South 1'].imei, { lat: 44.03, lon: 4.01, speedKnots: 10 });
    await page.waitForTimeout(1000);
    assert.equal(await list.getByRole('button', { name: /South 1/ }).count(), 0);
    await page.getByText('2 vehicles', { exact: true }).waitFor();

    // East 1 (known to the live feed, in no group) joins North and reports: the group is asked
    // again at once and it appears, without choosing North again.
    const north = (await manager.api('GET', '/api/v1/groups')).body.items.find((g) => g.name === 'North');
    const members = (...names) => ({ vehicle_ids: names.map((n) => made[n].id) });
    assert.equal((await manager.api('PUT', `/api/v1/groups/${north.id}/vehicles`, members('North 1', 'North 2', 'East 1'))).status, 200);
    await fleetd.sendOsmand(made['East 1'].imei, { lat: 44.05, lon: 4.02, speedKnots: 5 });
    await list.getByRole('button', { name: /East 1/ }).waitFor({ timeout: 10_000 });
    await page.getByText('3 vehicles', { exact: true }).waitFor();
    // South 1 joins North too: opening the group select (to choose again) asks for the group again.
    assert.equal((await manager.api('PUT', `/api/v1/groups/${north.id}/vehicles`, members('North 1', 'North 2', 'East 1', 'South 1'))).status, 200);
    // A group made since the page opened is offered when the select takes the focus.
    await manager.api('POST', '/api/v1/groups', { name: 'West' });

    // By keyboard: the select takes focus and the arrow key moves to the next group.
    await groupSelect.focus();
    await groupSelect.locator('option', { hasText: 'West' }).waitFor({ state: 'attached' });
    await list.getByRole('button', { name: /South 1/ }).waitFor();
    await page.getByText('4 vehicles', { exact: true }).waitFor();
    await page.keyboard.press('ArrowDown');
    await page.getByText('1 vehicle', { exact: true }).waitFor();
    assert.equal(await groupSelect.inputValue(), String(await groupSelect.locator('option', { hasText: 'South' }).getAttribute('value')));
    await list.getByRole('button', { name: /South 1/ }).waitFor();

    await groupSelect.selectOption('');
    await list.getByRole('button', { name: /North 1/ }).waitFor();
    await list.getByRole('button', { name: /South 1/ }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});

describe('live map page (positions and live feed played by the test)', () => {
  test('markers, the list, a hostile name shown as text, following, keyboard, and live moves', async () => {
    const page = await newPage(chrome);
    const sockets = [];
    const hostile = '<img src=x onerror="window.pwned=1">';
    await page.route('**/api/v1/positions/latest', (route) =>
      route.fulfill({
        json: {
          items: [
            position(1, 'Van 1', 48.8566, 2.3522, { speed_kmh: 42, course: 90 }),
            position(2, hostile, 48.86, 2.35, { attributes: { ignition: true } }),
            position(3, 'Truck 3', 48.85, 2.36, { attributes: { alarm: 'sos' } }),
          ],
        },
      }),
    );
    // The fleet: the three and a trailer whose tracker never reported.
    const fleet = [[1, 'Van 1'], [2, hostile], [3, 'Truck 3'], [9, 'Trailer 9']].map(([id, name]) => ({ id, name }));
    await page.route('**/api/v1/vehicles?*', (route) =>
      route.fulfill({ json: { items: fleet, total: fleet.length, limit: 1000, offset: 0 } }),
    );
    await page.routeWebSocket('**/api/v1/live', (ws) => sockets.push(ws));
    await signIn(page);
    await page.getByText('4 vehicles').waitFor();
    await page.getByText('Live', { exact: true }).waitFor();

    // The one that never reported is listed, "No data", and not on the map.
    await page.getByRole('list', { name: 'Vehicles' }).getByRole('button', { name: /Trailer 9.*No data/ }).waitFor();
    assert.equal(await page.locator('.leaflet-marker-icon[title^="Trailer 9"]').count(), 0);
    await page.getByLabel('Status').selectOption('nodata');
    await page.getByText('1 vehicle', { exact: true }).waitFor();
    await page.getByRole('list', { name: 'Vehicles' }).getByRole('button', { name: /Trailer 9/ }).click();
    await page.getByText('This vehicle has never reported a position.').waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
    await page.getByLabel('Status').selectOption('');

    // A name is text, never markup: in the list, in the marker's title.
    const list = page.getByRole('list', { name: 'Vehicles' });
    await list.getByRole('button', { name: /onerror/ }).waitFor();
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    assert.match(await list.getByRole('button', { name: /onerror/ }).textContent(), /<img src=x/);

    // Statuses in words as well as colours.
    await list.getByRole('button', { name: /Van 1.*Moving/ }).waitFor();
    await list.getByRole('button', { name: /onerror.*Ignition on/ }).waitFor();
    await list.getByRole('button', { name: /Truck 3.*Alarm/ }).waitFor();
    await page.getByLabel('Status').selectOption('alarm');
    await page.getByText('1 vehicle', { exact: true }).waitFor();
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Search by name or device').fill('truck');
    await page.getByText('1 vehicle', { exact: true }).waitFor();
    await page.getByLabel('Search by name or device').fill('');

    // Keyboard: Tab reaches the list, arrows move, Enter selects.
    await list.getByRole('button').first().focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Truck 3' }).waitFor(); // sorted: <img…, Trailer 9, Truck 3, Van 1
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Van 1' }).waitFor();
    assert.equal(await page.getByLabel('Follow on the map').isChecked(), true);

    // Van 1 drives east (not followed): its marker moves right and its arrow turns.
    const marker = page.locator('.leaflet-marker-icon[title^="Van 1"]');
    await marker.waitFor();
    await page.getByLabel('Follow on the map').uncheck();
    const start = await centreOf(marker);
    sockets.at(-1).send(JSON.stringify({ type: 'position', ...position(1, 'Van 1', 48.8566, 2.3552, { speed_kmh: 50, course: 90 }) }));
    await page.waitForFunction(
      (x) => document.querySelector('.leaflet-marker-icon[title^="Van 1"]')?.getBoundingClientRect().x > x + 20,
      start.x,
    );
    const moved = await centreOf(marker);
    assert.ok(Math.abs(moved.y - start.y) < 3, 'east is sideways on the map');
    // The arrow turned to the heading.
    assert.match(await marker.locator('.vm-arrow').evaluate((el) => el.style.transform), /rotate\(90deg\)/);

    // Followed again: the next move pans the map and the marker comes back to the middle.
    await page.getByLabel('Follow on the map').check();
    const box = await page.getByRole('region', { name: 'Map of the vehicles' }).boundingBox();
    sockets.at(-1).send(JSON.stringify({ type: 'position', ...position(1, 'Van 1', 48.8566, 2.3582, { speed_kmh: 50, course: 90 }) }));
    await page.waitForFunction(
      ({ cx }) => {
        const r = document.querySelector('.leaflet-marker-icon[title^="Van 1"]')?.getBoundingClientRect();
        if (!r) return false;
        return Math.abs(r.x + r.width / 2 - cx) < 5;
      },
      { cx: box.x + box.width / 2 },
    );
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });

  test('thousands of vehicles are clustered at low zoom, and the feed reconnects after a loss', async () => {
    const page = await newPage(chrome);
    const sockets = [];
    const many = [];
    for (let i = 0; i < 2000; i++) {
      many.push(position(i + 1, `Vehicle ${i + 1}`, 45 + (i % 50) * 0.1, 2 + Math.floor(i / 50) * 0.1));
    }
    await page.route('**/api/v1/positions/latest', (route) => route.fulfill({ json: { items: many } }));
    await page.routeWebSocket('**/api/v1/live', (ws) => sockets.push(ws));
    const started = Date.now();
    await signIn(page);
    await page.getByText('2000 vehicles').waitFor();
    await page.locator('.vm-cluster').first().waitFor();
    const ready = Date.now() - started;
    const clusters = await page.locator('.vm-cluster').count();
    const single = await page.locator('.leaflet-marker-icon.vm').count();
    assert.ok(clusters > 0 && clusters + single < 500, `${clusters} clusters, ${single} markers in the DOM`);
    // The list renders only the rows in view.
    assert.ok((await page.getByRole('list', { name: 'Vehicles' }).getByRole('listitem').count()) < 60);
    console.log(`# 2000 vehicles: signed in and clustered in ${ready} ms`);

    // The connection drops: the page says so, comes back by itself, and asks for the latest again.
    await page.getByText('Live', { exact: true }).waitFor();
    let reloads = 0;
    await page.route('**/api/v1/positions/latest', (route) => {
      reloads++;
      return route.fulfill({ json: { items: many } });
    });
    sockets.at(-1).close();
    await page.getByText('Connection lost: reconnecting…').waitFor();
    await page.getByText('Live', { exact: true }).waitFor({ timeout: 10_000 });
    assert.equal(sockets.length, 2);
    assert.ok(reloads >= 1, 'the latest positions were asked for again');
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
