// Events in words: the type's name in the chosen language (the server's name when this version
// has none), the vehicle, and the type-specific details as "label: value" text.
import type { TFunction } from 'i18next';

export function typeLabel(t: TFunction, type: string): string {
  return t(`alerts.type.${type}`, { defaultValue: type });
}

export function eventTitle(t: TFunction, type: string, vehicle: string | null): string {
  return vehicle ? t('alerts.titleWithVehicle', { type: typeLabel(t, type), vehicle }) : typeLabel(t, type);
}

// The details as text, each value rendered as a string (never markup); numbers through `number`
// (the language's digits, at most one decimal).
export function detailText(
  t: TFunction,
  detail: Record<string, unknown> | null | undefined,
  number: (n: number, digits?: number) => string,
): string {
  if (!detail) return '';
  return Object.entries(detail)
    .map(([k, v]) => {
      const label = t(`alerts.detail.${k}`, { defaultValue: k });
      const value =
        typeof v === 'number'
          ? number(v, Number.isInteger(v) ? 0 : 1)
          : Array.isArray(v)
            ? v.join(', ')
            : v !== null && typeof v === 'object'
              ? JSON.stringify(v)
              : String(v);
      return `${label}: ${value}`;
    })
    .join(' · ');
}
