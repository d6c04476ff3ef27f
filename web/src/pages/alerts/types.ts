// The shapes of the events, notifications and webhook answers these pages read (docs/api.md:
// Events inbox, Notifications, Webhooks; OpenAPI events.json and notifications.json).

export const EVENT_TYPES = [
  'ignition_on',
  'ignition_off',
  'trip_start',
  'trip_end',
  'idling',
  'overspeed',
  'geofence_enter',
  'geofence_exit',
  'harsh_acceleration',
  'harsh_braking',
  'harsh_cornering',
  'towing',
  'power_cut',
  'tampering',
  'gsm_jamming',
  'gps_lost',
  'low_battery',
  'crash',
  'sos',
  'dtc',
  'driver_changed',
  'unknown_badge',
  'refuel',
  'fuel_drop',
  'device_offline',
  'device_online',
  'maintenance_due',
  'maintenance_overdue',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface FleetEvent {
  id: number;
  time: string;
  type: string;
  vehicle_id: number | null;
  vehicle_name: string | null;
  driver_id: number | null;
  driver_name: string | null;
  geofence_id: number | null;
  geofence_name: string | null;
  lat: number | null;
  lon: number | null;
  detail: Record<string, unknown>;
  acknowledged_at: string | null;
  acknowledged_by: number | null;
  device_id: number | null;
}

export interface EventPage {
  items: FleetEvent[];
  next: string | null;
  limit: number;
}

// The event as a notification carries it (the webhook body).
export interface NotifiedEvent {
  id: number;
  type: string;
  time: string;
  vehicle: { id: number; name: string; plate: string } | null;
  driver: { id: number; name: string } | null;
  lat: number | null;
  lon: number | null;
  detail: Record<string, unknown>;
}

export type Channel = 'web' | 'email' | 'webhook';
export const CHANNELS: readonly Channel[] = ['web', 'email', 'webhook'];
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'quiet';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'sent', 'failed', 'quiet'];

export interface Notification {
  id: number;
  channel: Channel;
  recipient: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  read_at: string | null;
  event: NotifiedEvent;
}

export interface NotificationRule {
  id: number;
  name: string;
  event_types: string[];
  vehicle_ids: number[];
  group_ids: number[];
  user_ids: number[];
  webhook_ids: number[];
  channels: Channel[];
  quiet_start: string | null;
  quiet_end: string | null;
  enabled: boolean;
  created_at: string;
}

export interface Webhook {
  id: number;
  name: string;
  url: string;
  enabled: boolean;
  created_at: string;
}
