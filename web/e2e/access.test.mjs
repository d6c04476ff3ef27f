// The application's idea of who may do what (src/app/access.json) against the real server: each
// route's permission as the OpenAPI document gives it (x-fleetd-access), and each role's
// permissions as the server applies them — probed per role with a read, or with a change whose
// empty body is refused (400 when allowed, 403 when not; nothing is changed either way). The driver
// role's permissions reach only the routes open to drivers (x-fleetd-drivers, access.json's
// driverRoutes); in Chromium a driver gets the live map of its own vehicle, its history and its
// account, and no administration.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { browser, enrolledClient, Fleetd, newPage, PASSWORD, signInPage } from './harness.mjs';

const table = JSON.parse(readFileSync(new URL('../src/app/access.json', import.meta.url), 'utf8'));

// One probe per permission: [method, path].
const PROBES = {
  'fleet.read': ['GET', '/api/v1/vehicles'],
  'fleet.write': ['POST', '/api/v1/vehicles'],
  'positions.read': ['GET', '/api/v1/positions/latest'],
  'users.read': ['GET', '/api/v1/users'],
  'users.write': ['POST', '/api/v1/users'],
  'audit.read': ['GET', '/api/v1/audit'],
  'tenants.read': ['GET', '/api/v1/tenants'],
  'tenants.write': ['POST', '/api/v1/tenants'],
  'devices.admin': ['GET', '/api/v1/devices/pending'],
  'support.grant': ['POST', '/api/v1/support-grants'],
  'reports.read': ['GET', '/api/v1/events'],
  'operations.write': ['POST', '/api/v1/notification-rules'],
  'tenant.settings': ['GET', '/api/v1/webhooks'],
};

let fleetd;
let chrome;
before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('operator', 'ops@fleetd.example', 'operator-admin');
  for (const role of ['tenant-admin', 'fleet-manager', 'viewer', 'driver']) {
    fleetd.addUser('acme', `${role}@acme.example`, role);
  }
  // The browser test's own: the users above have enrolled or signed in already.
  fleetd.addUser('operator', 'ops2@fleetd.example', 'operator-admin');
  fleetd.addUser('acme', 'admin2@acme.example', 'tenant-admin');
  fleetd.addUser('acme', 'dora@acme.example', 'driver');
  await fleetd.start();
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  await fleetd?.stop();
});

async function signedIn(email) {
  const c = fleetd.client();
  const r = await c.api('POST', '/api/v1/auth/login', { email, password: PASSWORD });
  assert.equal(r.status, 200);
  return c;
}

describe('access', () => {
  test("each route's permission is the one the OpenAPI document gives", async () => {
    const doc = await (await fetch(`${fleetd.url}/api/v1/openapi.json`)).json();
    const missing = [];
    for (const [route, permission] of Object.entries(table.routes)) {
      const [method, path] = route.split(' ');
      const op = doc.paths[path]?.[method.toLowerCase()];
      if (!op) {
        missing.push(route);
        continue;
      }
      assert.equal(op['x-fleetd-access'], permission, route);
    }
    assert.deepEqual(missing, [], 'routes of the access table missing from the OpenAPI document');
  });

  test('the routes open to drivers are the ones the OpenAPI document opens to drivers', async () => {
    const doc = await (await fetch(`${fleetd.url}/api/v1/openapi.json`)).json();
    const open = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const access = op['x-fleetd-access'];
        if (access !== 'public' && access !== 'signed-in' && op['x-fleetd-drivers']) open.push(`${method.toUpperCase()} ${path}`);
      }
    }
    assert.deepEqual(open.sort(), [...table.driverRoutes].sort());
    // And the server applies it: a driver reads the routes open to it, and is refused the others.
    const driver = await signedIn('driver@acme.example');
    for (const [route, permission] of Object.entries(table.routes)) {
      const [method, path] = route.split(' ');
      if (method !== 'GET' || path.includes('{') || permission === 'signed-in') continue;
      const r = await driver.api('GET', path);
      if (table.driverRoutes.includes(route)) assert.equal(r.status, 200, `${route}: ${JSON.stringify(r.body)}`);
      else assert.equal(r.status, 403, `a driver should be refused ${route} (got ${r.status})`);
    }
  });

  test("each role's permissions are the ones the server applies", async () => {
    const sessions = {};
    sessions['operator-admin'] = (await enrolledClient(fleetd, 'ops@fleetd.example')).client;
    sessions['tenant-admin'] = (await enrolledClient(fleetd, 'tenant-admin@acme.example')).client;
    for (const role of ['fleet-manager', 'viewer', 'driver']) sessions[role] = await signedIn(`${role}@acme.example`);
    for (const [role, client] of Object.entries(sessions)) {
      for (const [permission, [method, path]] of Object.entries(PROBES)) {
        const r = await client.api(method, path, method === 'GET' ? undefined : {});
        const allowed = table.roles[role].includes(permission);
        if (allowed) assert.notEqual(r.status, 403, `${role} ${permission}: ${JSON.stringify(r.body)}`);
        else assert.equal(r.status, 403, `${role} should lack ${permission} (${method} ${path} gave ${r.status})`);
      }
    }
  });

  test('a driver gets the live map of its vehicle, its history and its account, no administration', async () => {
    // The operator gives a phone to acme; the tenant admin puts it in a van and assigns the driver
    // user's driver record to the van from now on; a second van has no driver.
    const { client: ops } = await enrolledClient(fleetd, 'ops2@fleetd.example');
    const imei = '358240051111110';
    const device = await ops.api('POST', '/api/v1/devices', { imei, protocol: 'osmand', name: 'Phone 1', tenant: 'acme' });
    assert.equal(device.status, 201, JSON.stringify(device.body));
    const { client: admin } = await enrolledClient(fleetd, 'admin2@acme.example');
    const van = (await admin.api('POST', '/api/v1/vehicles', { name: 'Dora van' })).body;
    await admin.api('POST', '/api/v1/vehicles', { name: 'Other van' });
    const from = new Date(Date.now() - 60_000).toISOString();
    const installed = await admin.api('POST', '/api/v1/installations', { vehicle_id: van.id, device_id: device.body.id, from });
    assert.equal(installed.status, 201, JSON.stringify(installed.body));
    const driver = await signedIn('dora@acme.example');
    const me = (await driver.api('GET', '/api/v1/me')).body;
    const record = await admin.api('POST', '/api/v1/drivers', { name: 'Dora', user_id: me.id });
    assert.equal(record.status, 201, JSON.stringify(record.body));
    const assigned = await admin.api('POST', `/api/v1/vehicles/${van.id}/assignments`, { driver_id: record.body.id, from });
    assert.equal(assigned.status, 201, JSON.stringify(assigned.body));
    await fleetd.sendOsmand(imei, { lat: 48.8566, lon: 2.3522 });

    const page = await newPage(chrome);
    await signInPage(page, fleetd.url, 'dora@acme.example');
    const nav = page.getByRole('navigation', { name: 'Main' });
    const links = await nav.getByRole('link').allTextContents();
    assert.deepEqual(links, ['Live map', 'History', 'Account']);
    await page.locator('.leaflet-marker-icon[title^="Dora van"]').waitFor();
    assert.equal(await page.locator('.leaflet-marker-icon[title^="Other van"]').count(), 0);
    await page.getByRole('list', { name: 'Vehicles' }).getByRole('button', { name: /Dora van/ }).click();
    await page.getByRole('link', { name: 'History', exact: true }).last().waitFor();
    assert.equal(await page.getByRole('link', { name: 'Vehicle page' }).count(), 0); // the fleet register is not a driver's
    // Its history: the position it drove today.
    await page.getByRole('link', { name: 'History', exact: true }).last().click();
    await page.getByRole('heading', { name: 'Dora van' }).waitFor();
    await page.getByText(/^1 points? · /).waitFor();
    await page.goto(`${fleetd.url}/admin/devices`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    assert.deepEqual(page.problems, []);
    await page.context().close();
  });
});
