// The operations resources of issue 5 (geofences, maintenance, processing settings, odometer and
// driver assignments), as the API gives them (docs/api.md).

export type GeofenceKind = 'circle' | 'polygon';

export type GeoPoint = { type: 'Point'; coordinates: [number, number] }; // [lon, lat]
export type GeoPolygon = { type: 'Polygon'; coordinates: [number, number][][] }; // rings of [lon, lat]

export interface Geofence {
  id: number;
  name: string;
  description: string;
  kind: GeofenceKind;
  geometry: GeoPoint | GeoPolygon;
  radius_m: number | null;
  speed_limit_kmh: number | null;
  created_at: string;
  updated_at: string;
}

export interface ImportAnswer {
  created: number;
  errors: { index: number; detail: string }[];
}

export interface Odometer {
  odometer_km: number | null;
  engine_hours: number | null;
  set_at: string | null;
}

export interface Assignment {
  id: number;
  vehicle_id?: number;
  driver_id: number;
  driver_name?: string;
  from: string;
  to: string | null;
}

export interface MaintenancePlan {
  id: number;
  vehicle_id: number;
  vehicle_name?: string;
  name: string;
  interval_km: number | null;
  interval_engine_h: number | null;
  interval_months: number | null;
  due_date: string | null;
  warn_km: number | null;
  warn_engine_h: number | null;
  warn_days: number | null;
  last_done_date: string | null;
  last_done_odometer_m: number | null;
  last_done_engine_h: number | null;
  archived_at?: string | null;
}

export interface ServiceRecord {
  id: number;
  vehicle_id: number;
  vehicle_name?: string;
  plan_id: number | null;
  date: string;
  odometer_m: number | null;
  engine_h: number | null;
  cost_cents: number | null;
  currency: string;
  note: string;
}

export type DueStatus = 'ok' | 'due_soon' | 'overdue';

// A row of GET /api/v1/reports/maintenance.
export interface MaintenanceDue {
  plan_id: number;
  vehicle_id: number;
  vehicle_name: string;
  name: string;
  status: DueStatus;
  odometer_m: number | null;
  due_odometer_m: number | null;
  remaining_km: number | null;
  engine_h: number | null;
  due_engine_h: number | null;
  remaining_engine_h: number | null;
  due_date: string | null;
  remaining_days: number | null;
}

export type ProcessingSettings = Record<string, number>;
