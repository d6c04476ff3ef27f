// The shapes of fleetd's API answers that the application reads (docs/api.md and the OpenAPI
// document at /api/v1/openapi.json).

export type Role = 'operator-admin' | 'tenant-admin' | 'fleet-manager' | 'viewer' | 'driver';
export const ROLES: readonly Role[] = ['operator-admin', 'tenant-admin', 'fleet-manager', 'viewer', 'driver'];

export interface User {
  id: number;
  email: string;
  role: Role;
  tenant: string;
  must_change_password: boolean;
  totp_enabled: boolean;
  // The tenant's IANA time zone, once /me gives it (see app/time.ts).
  time_zone?: string;
}

export interface SignInAnswer {
  user: User;
  csrf_token: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

// A position as stored (one element of a vehicle's history).
export interface Position {
  device_id: number;
  time: string; // ISO 8601, UTC: when the device took the fix
  server_time?: string;
  lat: number;
  lon: number;
  altitude?: number;
  speed_kmh: number;
  course: number; // degrees from north, clockwise
  satellites?: number;
  valid: boolean;
  attributes: Record<string, unknown>;
}

// A vehicle's latest position (GET /api/v1/positions/latest, and the live WebSocket's "position").
export interface VehiclePosition extends Position {
  vehicle_id: number;
  vehicle_name: string;
}

export interface PositionHistory {
  vehicle_id: number;
  vehicle_name: string;
  from: string;
  to: string;
  positions: Position[];
}

export interface Vehicle {
  id: number;
  name: string;
  vin: string | null;
  plate: string;
  make: string;
  model: string;
  sale_date: string | null;
  insurance_date: string | null;
  technical: Record<string, unknown>;
  group_ids: number[];
  created_at: string;
  archived_at: string | null;
  installation: { id: number; device_id: number; imei: string; from: string } | null;
  speed_limit_kmh?: number | null; // the vehicle's own overspeed limit; null: the tenant's default
}

export type Protocol = 'teltonika' | 'gt06' | 'osmand';
export const PROTOCOLS: readonly Protocol[] = ['teltonika', 'gt06', 'osmand'];

export interface Device {
  id: number;
  imei: string;
  protocol: Protocol;
  name: string;
  status: 'active' | 'disabled';
  model: string;
  firmware: string;
  tenant: string | null;
  vehicle_id: number | null;
  created_at: string;
}

export interface PendingDevice {
  imei: string;
  protocol: string;
  first_attempt: string;
  last_attempt: string;
  address: string;
  attempts: number;
}

export interface Installation {
  id: number;
  vehicle_id: number;
  device_id: number;
  imei: string;
  from: string;
  to: string | null;
  note: string;
  created_at: string;
}

export interface Driver {
  id: number;
  name: string;
  badge_id: string | null;
  employee_number: string;
  user_id: number | null;
  created_at: string;
}

export interface Group {
  id: number;
  name: string;
  vehicle_count: number;
  created_at: string;
}

// A user as the users routes give it (users.read).
export interface UserRecord {
  id: number;
  email: string;
  name: string;
  role: Role;
  tenant: string;
  must_change_password: boolean;
  totp_enabled: boolean;
  disabled: boolean;
  created_at: string;
  group_ids: number[];
}

export interface Tenant {
  id: number;
  name: string;
  status: 'active' | 'suspended';
  require_totp: boolean;
  time_zone: string;
  created_at: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  tenant_id: number | null;
  actor_user_id: number | null;
  actor: string;
  action: string;
  target: string;
  ip: string;
  detail: Record<string, unknown>;
}

export interface AuditPage {
  items: AuditEntry[];
  limit: number;
  next_before_id: number | null;
}

export interface Session {
  id: string;
  created_at: string;
  last_seen: string;
  expires_at: string;
  ip: string;
  user_agent: string;
  current: boolean;
}

export type TokenScope = 'read' | 'write' | 'commands';
export interface ApiToken {
  id: number;
  name: string;
  scopes: TokenScope[];
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
}

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
}
