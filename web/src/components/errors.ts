// What to tell a person about a failed call, in their language.
import type { TFunction } from 'i18next';
import { ApiError } from '../api/client';

export function errorText(t: TFunction, e: unknown): string {
  if (!(e instanceof ApiError)) return t('errors.network');
  const known = `problems.${e.type}`;
  if (e.type && t(known, { defaultValue: '' })) return t(known);
  // The server's own words (shown as text) when this version has no message of its own.
  return e.detail ? `${e.message}: ${e.detail}` : t('errors.status', { status: e.status });
}
