// The reports the server makes (GET /api/v1/reports/{report}, docs/api.md) and the columns this page
// shows of each: the member, its heading (reports.col.<member>) and how its value reads.
import type { Formats } from '../../app/time';

export const REPORTS = [
  'trips',
  'stops',
  'summary',
  'events',
  'geofence-visits',
  'eco',
  'fuel',
  'utilisation',
  'maintenance',
] as const;
export type ReportKind = (typeof REPORTS)[number];

export type CellKind = 'text' | 'time' | 'date' | 'duration' | 'km' | 'int' | 'score' | 'share' | 'speed' | 'litres' | 'number';

export interface Column {
  key: string;
  kind: CellKind;
  // A link to the vehicle's page (vehicle_name with vehicle_id).
  vehicleLink?: boolean;
}

const c = (key: string, kind: CellKind = 'text', vehicleLink = false): Column => ({ key, kind, vehicleLink });

export const COLUMNS: Record<ReportKind, readonly Column[]> = {
  trips: [
    c('vehicle_name', 'text', true),
    c('driver_name'),
    c('start_time', 'time'),
    c('end_time', 'time'),
    c('duration_s', 'duration'),
    c('distance_m', 'km'),
    c('max_speed_kmh', 'speed'),
    c('avg_speed_kmh', 'speed'),
    c('idle_s', 'duration'),
    c('fuel_used_l', 'litres'),
    c('eco_score', 'score'),
  ],
  stops: [
    c('vehicle_name', 'text', true),
    c('driver_name'),
    c('start_time', 'time'),
    c('end_time', 'time'),
    c('duration_s', 'duration'),
    c('engine_on_s', 'duration'),
  ],
  summary: [
    c('date', 'date'),
    c('vehicle_name', 'text', true),
    c('trips', 'int'),
    c('distance_m', 'km'),
    c('driving_s', 'duration'),
    c('idle_s', 'duration'),
    c('max_speed_kmh', 'speed'),
    c('first_start', 'time'),
    c('last_end', 'time'),
    c('fuel_used_l', 'litres'),
  ],
  events: [c('time', 'time'), c('type'), c('vehicle_name', 'text', true), c('driver_name'), c('acknowledged_at', 'time')],
  'geofence-visits': [
    c('geofence_name'),
    c('vehicle_name', 'text', true),
    c('driver_name'),
    c('enter_time', 'time'),
    c('exit_time', 'time'),
    c('duration_s', 'duration'),
  ],
  eco: [
    c('rank', 'int'),
    c('name'),
    c('eco_score', 'score'),
    c('trips', 'int'),
    c('distance_m', 'km'),
    c('harsh_per_100km', 'number'),
    c('overspeed_share', 'share'),
    c('idle_share', 'share'),
  ],
  fuel: [
    c('vehicle_name', 'text', true),
    c('trips', 'int'),
    c('distance_m', 'km'),
    c('fuel_used_l', 'litres'),
    c('l_per_100km', 'number'),
    c('refuels', 'int'),
    c('refuel_l', 'litres'),
    c('fuel_drops', 'int'),
    c('fuel_drop_l', 'litres'),
  ],
  utilisation: [
    c('vehicle_name', 'text', true),
    c('days_used', 'int'),
    c('days', 'int'),
    c('used_share', 'share'),
    c('trips', 'int'),
    c('trips_per_day', 'number'),
    c('distance_m', 'km'),
    c('avg_trip_distance_m', 'km'),
    c('avg_trip_duration_s', 'duration'),
  ],
  maintenance: [
    c('vehicle_name', 'text', true),
    c('name'),
    c('status'),
    c('remaining_km', 'number'),
    c('remaining_engine_h', 'number'),
    c('due_date', 'date'),
    c('remaining_days', 'int'),
  ],
};

export type Row = Record<string, unknown>;

// The value a column sorts by: numbers as numbers, the rest as text (null last).
export function sortValue(row: Row, key: string): number | string | null {
  const v = row[key];
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return String(v);
}

// Rows in a column's order, ascending or descending; empty values last either way.
export function compareRows(a: Row, b: Row, key: string, collator: Intl.Collator, descending = false): number {
  const x = sortValue(a, key);
  const y = sortValue(b, key);
  if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
  const order = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
  return descending ? -order : order;
}

export function durationText(seconds: number): string {
  const total = Math.round(seconds / 60);
  const h = Math.floor(total / 60);
  const m = total % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min`;
}

// A cell's value as text (React renders it as text).
export function cellText(kind: CellKind, v: unknown, f: Formats): string {
  if (v === null || v === undefined || v === '') return '—';
  switch (kind) {
    case 'time':
      return f.dateTime(String(v));
    case 'date':
      return f.date(String(v));
    case 'duration':
      return durationText(Number(v));
    case 'km':
      return `${f.number(Number(v) / 1000, 1)} km`;
    case 'int':
      return f.number(Number(v));
    case 'score':
      return f.number(Number(v), 0);
    case 'share':
      return `${f.number(Number(v) * 100, 0)} %`;
    case 'speed':
      return `${f.number(Number(v))} km/h`;
    case 'litres':
      return `${f.number(Number(v), 1)} l`;
    case 'number':
      return f.number(Number(v), 1);
    default:
      return String(v);
  }
}
