// Dates and times as people read them: in the tenant's time zone and the chosen language. The zone
// is decided in one place, timeZoneOf: the tenant's (`time_zone` in /me) once the server gives it,
// the browser's until then.
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { User } from '../api/types';
import { useUser } from './auth';

export function timeZoneOf(user: Pick<User, 'time_zone'>): string {
  if (user.time_zone && isZone(user.time_zone)) return user.time_zone;
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// The zone's offset from UTC at an instant, in minutes (Paris in summer: 120).
function offsetMinutes(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

// The instant of a wall-clock time in a zone: "2026-03-29", "02:30" in Europe/Paris → a Date.
// Twice corrected, so the offset is the one in force at the result (around a DST change a wall time
// that does not exist moves forward, one that exists twice takes the first).
export function zonedTime(date: string, time: string, zone: string): Date {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = (time || '00:00').split(':').map(Number);
  const wall = Date.UTC(y ?? 1970, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0);
  let guess = wall - offsetMinutes(wall, zone) * 60_000;
  guess = wall - offsetMinutes(guess, zone) * 60_000;
  return new Date(guess);
}

// "YYYY-MM-DD" and "HH:MM" of an instant in a zone (for date and time inputs).
export function wallClock(instant: Date, zone: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(instant);
  const v = (type: string) => parts.find((p) => p.type === type)?.value ?? '00';
  return { date: `${v('year')}-${v('month')}-${v('day')}`, time: `${v('hour')}:${v('minute')}` };
}

// A calendar day "YYYY-MM-DD" moved by n days (no zone: days as the calendar counts them).
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// The browser's own variant of the chosen language when it has one (en-GB writes 26/11/2026,
// en-US 11/26/2026), else the language itself.
function localeOf(language: string): string {
  return navigator.languages.find((l) => l.split('-')[0] === language) ?? language;
}

export interface Formats {
  zone: string;
  dateTime(iso: string | null | undefined): string;
  time(iso: string): string;
  date(day: string | null | undefined): string; // a calendar day "2026-03-01", no zone
  age(iso: string, now: number): string;
  number(n: number, digits?: number): string;
}

export function useFormats(): Formats {
  const user = useUser();
  const { i18n } = useTranslation();
  const lang = localeOf(i18n.resolvedLanguage ?? 'en');
  const zone = timeZoneOf(user);
  return useMemo(() => {
    const dt = new Intl.DateTimeFormat(lang, { timeZone: zone, dateStyle: 'short', timeStyle: 'medium' });
    const tm = new Intl.DateTimeFormat(lang, { timeZone: zone, timeStyle: 'medium' });
    const day = new Intl.DateTimeFormat(lang, { timeZone: 'UTC', dateStyle: 'medium' });
    const rel = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' });
    return {
      zone,
      dateTime: (iso) => (iso ? dt.format(new Date(iso)) : ''),
      time: (iso) => tm.format(new Date(iso)),
      date: (d) => (d ? day.format(new Date(`${d}T00:00:00Z`)) : ''),
      age: (iso, now) => relativeAge(rel, Date.parse(iso), now),
      number: (n, digits = 0) =>
        new Intl.NumberFormat(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(n),
    };
  }, [lang, zone]);
}

export function relativeAge(format: Intl.RelativeTimeFormat, at: number, now: number): string {
  const seconds = Math.round((at - now) / 1000);
  if (Math.abs(seconds) < 60) return format.format(Math.min(0, seconds), 'second');
  const minutes = Math.round(seconds / 60);
  if (Math.abs(minutes) < 60) return format.format(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 48) return format.format(hours, 'hour');
  return format.format(Math.round(hours / 24), 'day');
}
