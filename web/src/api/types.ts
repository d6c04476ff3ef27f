// The shapes of fleetd's API answers that the application reads (docs/api.md).

export type Role = 'operator-admin' | 'tenant-admin' | 'fleet-manager' | 'viewer' | 'driver';

export interface User {
  id: number;
  email: string;
  role: Role;
  tenant: string;
  must_change_password: boolean;
  totp_enabled: boolean;
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

// A vehicle's latest position (GET /api/v1/positions/latest, and the live WebSocket's "position").
export interface Position {
  vehicle_id: number;
  name: string;
  device_id: number | string;
  time: string; // ISO 8601, UTC
  lat: number;
  lon: number;
  speed_kmh: number;
  course: number; // degrees from north, clockwise
  valid: boolean;
  attributes: Record<string, unknown>;
}

export interface Vehicle {
  id: number;
  name: string;
  plate?: string;
  vin?: string | null;
  make?: string;
  model?: string;
  installation?: { device_id: number; imei: string } | null;
}

export interface TotpEnrolment {
  secret: string;
  otpauth_uri: string;
}
