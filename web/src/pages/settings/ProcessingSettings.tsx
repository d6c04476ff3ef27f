// Processing settings (/admin/processing, tenant.settings): the thresholds the pipeline derives
// trips, stops and events with, and the eco-driving weights (GET/PUT /api/v1/settings/processing).
// Only the changed values are sent; a value the server refuses is marked on its field with the
// server's own explanation (the problem's detail names the key).
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, isMissingRoute } from '../../api/client';
import type { ProcessingSettings as Settings } from '../../api/opsTypes';
import { errorText } from '../../components/errors';
import { Loading } from '../../components/Loading';
import '../ops.css';
import { TenantZone } from './TenantZone';

// The settings by theme, each with its unit (a key of settings.units).
const GROUPS: readonly { key: string; fields: readonly [string, string][] }[] = [
  {
    key: 'trips',
    fields: [
      ['min_trip_distance_m', 'm'],
      ['min_trip_duration_s', 's'],
      ['min_stop_duration_s', 's'],
      ['moving_speed_kmh', 'kmh'],
      ['idle_event_s', 's'],
    ],
  },
  {
    key: 'speed',
    fields: [
      ['default_speed_limit_kmh', 'kmh'],
      ['overspeed_min_duration_s', 's'],
      ['max_speed_kmh', 'kmh'],
    ],
  },
  {
    key: 'driving',
    fields: [
      ['harsh_acceleration_mps2', 'mps2'],
      ['harsh_braking_mps2', 'mps2'],
    ],
  },
  {
    key: 'device',
    fields: [
      ['gps_lost_s', 's'],
      ['low_battery_v', 'v'],
      ['offline_after_s', 's'],
    ],
  },
  {
    key: 'fuel',
    fields: [
      ['refuel_min_l', 'l'],
      ['fuel_drop_min_l', 'l'],
      ['tank_l', 'l'],
    ],
  },
  {
    key: 'eco',
    fields: [
      ['eco_weight_harsh', 'weight'],
      ['eco_weight_speeding', 'weight'],
      ['eco_weight_idle', 'weight'],
    ],
  },
];

const KNOWN = new Set(GROUPS.flatMap((g) => g.fields.map(([k]) => k)));

// The key a refusal is about: the longest setting's name its detail mentions.
function keyOf(detail: string, keys: readonly string[]): string | null {
  return [...keys].sort((a, b) => b.length - a.length).find((k) => detail.includes(k)) ?? null;
}

const asText = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : '');

export default function ProcessingSettings() {
  const { t } = useTranslation();
  const id = useId();
  const [saved, setSaved] = useState<Settings | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [loadError, setLoadError] = useState('');
  const [error, setError] = useState('');
  const [badKey, setBadKey] = useState<string | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    api<Settings>('GET', '/api/v1/settings/processing').then(
      (s) => {
        setSaved(s);
        setValues(Object.fromEntries(Object.entries(s).map(([k, v]) => [k, asText(v)])));
      },
      (e: unknown) => setLoadError(isMissingRoute(e) ? t('common.notOnThisServer') : errorText(t, e)),
    );
  }, [t]);

  // A refused field takes the focus, so the message is where the person is.
  useEffect(() => {
    if (badKey) form.current?.querySelector<HTMLInputElement>(`[name="${badKey}"]`)?.focus();
  }, [badKey, error]);

  if (loadError) {
    return (
      <>
        <TenantZone />
        <p className="error" role="alert">
          {loadError}
        </p>
      </>
    );
  }
  if (!saved) return <Loading />;

  const others = Object.keys(saved).filter((k) => !KNOWN.has(k) && typeof saved[k] === 'number');
  const groups = others.length ? [...GROUPS, { key: 'other', fields: others.map((k) => [k, ''] as [string, string]) }] : GROUPS;

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!saved) return;
    setError('');
    setBadKey(null);
    setNotice('');
    const body: Record<string, number | string> = {};
    for (const [k, text] of Object.entries(values)) {
      if (text === asText(saved[k])) continue;
      // A value that is not a number goes as typed: the server says what is wrong with it.
      const n = Number(text);
      body[k] = text.trim() !== '' && Number.isFinite(n) ? n : text;
    }
    if (Object.keys(body).length === 0) {
      setNotice(t('settings.unchanged'));
      return;
    }
    setBusy(true);
    try {
      const answer = await api<Settings | undefined>('PUT', '/api/v1/settings/processing', { body });
      const next = answer && typeof answer === 'object' ? answer : { ...saved, ...(body as Settings) };
      setSaved(next);
      setValues(Object.fromEntries(Object.entries(next).map(([k, v]) => [k, asText(v)])));
      setNotice(t('settings.saved'));
    } catch (err) {
      const text = errorText(t, err);
      const detail = err instanceof ApiError ? err.detail : '';
      setError(detail && !text.includes(detail) ? `${text} ${detail}` : text);
      setBadKey(err instanceof ApiError ? keyOf(`${err.detail} ${err.message}`, Object.keys(body)) : null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <TenantZone />
      <section aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>{t('settings.title')}</h2>
        <p className="help">{t('settings.intro')}</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {error && !badKey && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <form ref={form} className="settings-form" onSubmit={submit} aria-busy={busy} noValidate>
          {groups.map((g) => (
            <fieldset key={g.key} className="settings-group">
              <legend>{t(`settings.groups.${g.key}`)}</legend>
              {g.fields.map(([k, unit]) => {
                const fid = `${id}-${k}`;
                const bad = badKey === k;
                return (
                  <div key={k} className="field">
                    <label htmlFor={fid}>{t(`settings.keys.${k}`, { defaultValue: k })}</label>
                    <span className="with-unit">
                      <input
                        id={fid}
                        name={k}
                        type="text"
                        inputMode="decimal"
                        value={values[k] ?? ''}
                        aria-invalid={bad || undefined}
                        aria-describedby={bad ? `${fid}-error` : unit ? `${fid}-unit` : undefined}
                        onChange={(e) => setValues((old) => ({ ...old, [k]: e.target.value }))}
                      />
                      {unit && (
                        <span id={`${fid}-unit`} className="unit">
                          {t(`settings.units.${unit}`)}
                        </span>
                      )}
                    </span>
                    {bad && (
                      <p id={`${fid}-error`} className="error field-error" role="alert">
                        {error}
                      </p>
                    )}
                  </div>
                );
              })}
            </fieldset>
          ))}
          <div className="form-actions">
            <button type="submit" className="primary" disabled={busy}>
              {t('common.save')}
            </button>
          </div>
        </form>
      </section>
    </>
  );
}
