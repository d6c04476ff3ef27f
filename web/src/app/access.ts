// What the signed-in role may do, so that pages show only the actions that would succeed. The
// server decides (every route checks its permission); this mirrors its rule to hide what would be
// refused. access.json holds the role → permission map (RoleHas in src/api/detail/router.cpp) and
// the permission of each route the application calls (the OpenAPI document's x-fleetd-access):
// e2e/access.test.mjs checks both against the real server, so they cannot drift unnoticed.
//
// The driver role is narrower than its permissions: the server lets a driver call only the routes
// open to drivers (DRIVER_ROUTES: its own vehicle, its positions, the live map, its own driver
// record), so a page or section shows to a driver only when it says `drivers` (it calls nothing
// else), and a page asks `useCanCall()` before calling a route that drivers may not.
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

// The routes a driver may call (the OpenAPI document's x-fleetd-drivers).
export const DRIVER_ROUTES: readonly string[] = table.driverRoutes;

export function roleCan(role: Role, p: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(p);
}

// Whether the role may use a page or section needing `p`: a driver only those made for drivers.
export function roleMayUse(role: Role, p: Permission | null, drivers = false): boolean {
  if (role === 'driver' && !drivers) return false;
  return p === null || roleCan(role, p);
}

// Whether the role may call `route` ("GET /api/v1/groups", a key of access.json's routes).
export function roleCanCall(role: Role, route: string): boolean {
  const p = ROUTE_ACCESS[route];
  if (p === undefined) return false;
  if (p === 'signed-in') return true;
  return roleCan(role, p) && (role !== 'driver' || DRIVER_ROUTES.includes(route));
}

// `canCall('GET /api/v1/groups')` in a page: whether the signed-in user may call the route.
export function useCanCall(): (route: string) => boolean {
  const user = useUser();
  return (route) => roleCanCall(user.role, route);
}

// `can('fleet.write')` in a page: whether the signed-in user's role has the permission.
export function useCan(): (p: Permission) => boolean {
  const user = useUser();
  return (p) => roleCan(user.role, p);
}

// Administration's tabs, each shown to the roles with its permission (none to drivers).
export const ADMIN_SECTIONS: readonly { to: string; key: string; permission: Permission; drivers?: boolean }[] = [
  { to: 'devices', key: 'admin.devices', permission: 'fleet.read' },
  { to: 'installations', key: 'admin.installations', permission: 'fleet.read' },
  { to: 'drivers', key: 'admin.drivers', permission: 'fleet.read' },
  { to: 'groups', key: 'admin.groups', permission: 'fleet.read' },
  { to: 'users', key: 'admin.users', permission: 'users.read' },
  { to: 'tenants', key: 'admin.tenants', permission: 'tenants.read' },
  { to: 'audit', key: 'admin.audit', permission: 'audit.read' },
  { to: 'settings', key: 'settings.tab', permission: 'tenant.settings' },
];
