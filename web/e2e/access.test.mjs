// The application's idea of who may do what (src/app/access.json) against the real server: each
// route's permission as the OpenAPI document gives it (x-fleetd-access), and each role's
// permissions as the server applies them — probed per role with a read, or with a change whose
// empty body is refused (400 when allowed, 403 when not; nothing is changed either way).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { enrolledClient, Fleetd } from './harness.mjs';

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
before(async () => {
  fleetd = new Fleetd();
  fleetd.addTenant('acme');
  fleetd.addUser('operator', 'ops@fleetd.example', 'operator-admin');
  for (const role of ['tenant-admin', 'fleet-manager', 'viewer', 'driver']) {
    fleetd.addUser('acme', `${role}@acme.example`, role);
  }
  await fleetd.start();
});

after(async () => {
  await fleetd?.stop();
});

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

  test("each role's permissions are the ones the server applies", async () => {
    const sessions = {};
    sessions['operator-admin'] = (await enrolledClient(fleetd, 'ops@fleetd.example')).client;
    sessions['tenant-admin'] = (await enrolledClient(fleetd, 'tenant-admin@acme.example')).client;
    for (const role of ['fleet-manager', 'viewer', 'driver']) {
      const c = fleetd.client();
      const r = await c.api('POST', '/api/v1/auth/login', { email: `${role}@acme.example`, password: 'plum-orchard-telescope-42' });
      assert.equal(r.status, 200);
      sessions[role] = c;
    }
    for (const [role, client] of Object.entries(sessions)) {
      for (const [permission, [method, path]] of Object.entries(PROBES)) {
        const r = await client.api(method, path, method === 'GET' ? undefined : {});
        const allowed = table.roles[role].includes(permission);
        if (allowed) assert.notEqual(r.status, 403, `${role} ${permission}: ${JSON.stringify(r.body)}`);
        else assert.equal(r.status, 403, `${role} should lack ${permission} (${method} ${path} gave ${r.status})`);
      }
    }
  });
});
