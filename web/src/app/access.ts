// What the signed-in role may do, so that pages show only the actions that would succeed. The
// server decides (every route checks its permission); this mirrors its rule to hide what would be
// refused. The role → permission map is RoleHas in src/api/detail/router.cpp, and the permission of
// each route is the OpenAPI document's x-fleetd-access: e2e/access.test.mjs checks both against the
// real server, so this file cannot drift from them unnoticed.
import type { Role } from '../api/types';
import { useUser } from './auth';

export type Permission =
  | 'fleet.read'
  | 'fleet.write'
  | 'positions.read'
  | 'users.read'
  | 'users.write'
  | 'audit.read'
  | 'tenants.read'
  | 'tenants.write'
  | 'devices.admin'
  | 'commands'
  | 'support.grant';

export const PERMISSIONS: readonly Permission[] = [
  'fleet.read',
  'fleet.write',
  'positions.read',
  'users.read',
  'users.write',
  'audit.read',
  'tenants.read',
  'tenants.write',
  'devices.admin',
  'commands',
  'support.grant',
];

const OPERATOR: readonly Permission[] = [
  'tenants.read',
  'tenants.write',
  'devices.admin',
  'users.read',
  'users.write',
  'audit.read',
  'fleet.read',
];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  'operator-admin': OPERATOR,
  'tenant-admin': PERMISSIONS.filter((p) => p !== 'tenants.read' && p !== 'tenants.write' && p !== 'devices.admin'),
  'fleet-manager': ['fleet.read', 'fleet.write', 'positions.read', 'commands', 'users.read'],
  viewer: ['fleet.read', 'positions.read'],
  driver: [],
};

// The permission each route the application calls needs (the OpenAPI document's x-fleetd-access;
// "signed-in" where the handler decides by role, e.g. a device's PATCH: fleet.write may rename,
// devices.admin may change the rest).
export const ROUTE_ACCESS: Record<string, Permission | 'signed-in'> = {
  'GET /api/v1/positions/latest': 'positions.read',
  'GET /api/v1/vehicles/{id}/positions': 'positions.read',
  'GET /api/v1/vehicles': 'fleet.read',
  'POST /api/v1/vehicles': 'fleet.write',
  'GET /api/v1/vehicles/{id}': 'fleet.read',
  'PATCH /api/v1/vehicles/{id}': 'fleet.write',
  'DELETE /api/v1/vehicles/{id}': 'fleet.write',
  'GET /api/v1/vehicles/{id}/installations': 'fleet.read',
  'GET /api/v1/devices': 'fleet.read',
  'POST /api/v1/devices': 'devices.admin',
  'PATCH /api/v1/devices/{id}': 'signed-in',
  'GET /api/v1/devices/pending': 'devices.admin',
  'POST /api/v1/devices/pending/{imei}/approve': 'devices.admin',
  'GET /api/v1/installations': 'fleet.read',
  'POST /api/v1/installations': 'fleet.write',
  'POST /api/v1/installations/{id}/end': 'fleet.write',
  'GET /api/v1/drivers': 'fleet.read',
  'POST /api/v1/drivers': 'fleet.write',
  'PATCH /api/v1/drivers/{id}': 'fleet.write',
  'DELETE /api/v1/drivers/{id}': 'fleet.write',
  'GET /api/v1/groups': 'fleet.read',
  'POST /api/v1/groups': 'fleet.write',
  'PATCH /api/v1/groups/{id}': 'fleet.write',
  'DELETE /api/v1/groups/{id}': 'fleet.write',
  'PUT /api/v1/groups/{id}/vehicles': 'fleet.write',
  'GET /api/v1/users': 'users.read',
  'POST /api/v1/users': 'users.write',
  'PATCH /api/v1/users/{id}': 'users.write',
  'GET /api/v1/tenants': 'tenants.read',
  'POST /api/v1/tenants': 'tenants.write',
  'PATCH /api/v1/tenants/{id}': 'tenants.write',
  'GET /api/v1/audit': 'audit.read',
  'GET /api/v1/me/sessions': 'signed-in',
  'DELETE /api/v1/me/sessions/{id}': 'signed-in',
  'DELETE /api/v1/me/sessions': 'signed-in',
  'POST /api/v1/auth/totp/disable': 'signed-in',
  'POST /api/v1/auth/totp/recovery-codes': 'signed-in',
  'GET /api/v1/me/tokens': 'signed-in',
  'POST /api/v1/me/tokens': 'signed-in',
  'DELETE /api/v1/me/tokens/{id}': 'signed-in',
};

export function roleCan(role: Role, p: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(p);
}

// `can('fleet.write')` in a page: whether the signed-in user's role has the permission.
export function useCan(): (p: Permission) => boolean {
  const user = useUser();
  return (p) => roleCan(user.role, p);
}

// Administration's tabs, each shown to the roles with its permission.
export const ADMIN_SECTIONS: readonly { to: string; key: string; permission: Permission }[] = [
  { to: 'devices', key: 'admin.devices', permission: 'fleet.read' },
  { to: 'installations', key: 'admin.installations', permission: 'fleet.read' },
  { to: 'drivers', key: 'admin.drivers', permission: 'fleet.read' },
  { to: 'groups', key: 'admin.groups', permission: 'fleet.read' },
  { to: 'users', key: 'admin.users', permission: 'users.read' },
  { to: 'tenants', key: 'admin.tenants', permission: 'tenants.read' },
  { to: 'audit', key: 'admin.audit', permission: 'audit.read' },
];
