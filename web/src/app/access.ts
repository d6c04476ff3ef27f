// What the signed-in role may do, so that pages show only the actions that would succeed. The
// server decides (every route checks its permission); this mirrors its rule to hide what would be
// refused. access.json holds the role → permission map (RoleHas in src/api/detail/router.cpp) and
// the permission of each route the application calls (the OpenAPI document's x-fleetd-access):
// e2e/access.test.mjs checks both against the real server, so they cannot drift unnoticed.
import type { Role } from '../api/types';
import table from './access.json';
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
  | 'support.grant'
  | 'reports.read'
  | 'operations.write'
  | 'tenant.settings';

export const ROLE_PERMISSIONS = table.roles as Record<Role, readonly Permission[]>;

// The permission each route the application calls needs (the OpenAPI document's x-fleetd-access;
// "signed-in" where the handler decides by role, e.g. a device's PATCH: fleet.write may rename,
// devices.admin may change the rest).
export const ROUTE_ACCESS = table.routes as Record<string, Permission | 'signed-in'>;

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
  { to: 'settings', key: 'settings.tab', permission: 'tenant.settings' },
];
