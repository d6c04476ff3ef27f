// One form for every resource's create and edit: fields described as data, labelled inputs,
// the server's refusal shown above the form (and announced), focus on the first field when it
// opens. On edit only the fields that changed are sent (the API's PATCH changes what it is given).
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from './errors';

export type FieldKind = 'text' | 'email' | 'date' | 'datetime' | 'select' | 'checkbox' | 'number' | 'multi';

export interface FieldSpec {
  name: string;
  label: string;
  kind?: FieldKind;
  required?: boolean;
  maxLength?: number;
  // Empty means null (a VIN, a date, a badge): the API clears the field.
  nullable?: boolean;
  options?: readonly { value: string; label: string }[];
  help?: string;
  autoComplete?: string;
  // A "multi" field of ids: sent as numbers.
  numeric?: boolean;
  // A "number" field's step ("any" for decimals; whole numbers otherwise).
  step?: string;
}

export type Values = Record<string, string | boolean | string[]>;

function initialValue(f: FieldSpec, v: unknown): string | boolean | string[] {
  if (f.kind === 'checkbox') return v === true;
  if (f.kind === 'multi') return Array.isArray(v) ? v.map(String) : [];
  if (v === null || v === undefined) return '';
  if (f.kind === 'datetime' && typeof v === 'string') return v.slice(0, 16); // handled by the caller's zone
  return String(v);
}

function bodyValue(f: FieldSpec, v: string | boolean | string[]): unknown {
  if (f.kind === 'checkbox') return v === true;
  if (f.kind === 'multi') return f.numeric ? (v as string[]).map(Number) : v;
  const s = v as string;
  if (f.kind === 'number') return s === '' ? null : Number(s);
  if (s === '' && (f.nullable || f.kind === 'date' || f.kind === 'datetime')) return null;
  return s;
}

interface Props {
  fields: readonly FieldSpec[];
  initial?: Record<string, unknown>;
  submitLabel: string;
  title: string;
  // Turns the values into the request and sends it; a thrown ApiError is shown.
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel?: () => void;
  // On edit, send only what changed.
  changesOnly?: boolean;
}

export function EntityForm({ fields, initial = {}, submitLabel, title, onSubmit, onCancel, changesOnly }: Props) {
  const { t } = useTranslation();
  const id = useId();
  const start = useRef<Values>(Object.fromEntries(fields.map((f) => [f.name, initialValue(f, initial[f.name])])));
  const [values, setValues] = useState<Values>(start.current);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    form.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);

  const set = (name: string, v: string | boolean | string[]) => setValues((old) => ({ ...old, [name]: v }));

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError('');
    const body: Record<string, unknown> = {};
    for (const f of fields) {
      const v = values[f.name] ?? '';
      if (changesOnly && JSON.stringify(v) === JSON.stringify(start.current[f.name])) continue;
      if (!changesOnly && !f.required && (v === '' || (Array.isArray(v) && v.length === 0)) && f.kind !== 'checkbox') {
        continue; // not given: the server's default
      }
      body[f.name] = bodyValue(f, v);
    }
    setBusy(true);
    try {
      await onSubmit(body);
    } catch (err) {
      setError(errorText(t, err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={form} className="entity-form" onSubmit={submit} aria-labelledby={`${id}-title`} aria-busy={busy}>
      <h2 id={`${id}-title`}>{title}</h2>
      {error && (
        <div className="error" role="alert">
          {error}
        </div>
      )}
      <div className="fields">
        {fields.map((f) => {
          const fid = `${id}-${f.name}`;
          const v = values[f.name];
          const help = f.help && <p id={`${fid}-help`} className="help">{f.help}</p>;
          const describedBy = f.help ? `${fid}-help` : undefined;
          if (f.kind === 'checkbox') {
            return (
              <div key={f.name} className="field">
                <label className="checkbox" htmlFor={fid}>
                  <input id={fid} type="checkbox" checked={v === true} onChange={(e) => set(f.name, e.target.checked)} />
                  {f.label}
                </label>
                {help}
              </div>
            );
          }
          if (f.kind === 'multi') {
            const chosen = v as string[];
            return (
              <fieldset key={f.name} className="field multi" aria-describedby={describedBy}>
                <legend>{f.label}</legend>
                {(f.options ?? []).length === 0 && <p className="help">{t('common.noneYet')}</p>}
                {(f.options ?? []).map((o) => (
                  <label key={o.value} className="checkbox">
                    <input
                      type="checkbox"
                      checked={chosen.includes(o.value)}
                      onChange={(e) =>
                        set(f.name, e.target.checked ? [...chosen, o.value] : chosen.filter((c) => c !== o.value))
                      }
                    />
                    {o.label}
                  </label>
                ))}
                {help}
              </fieldset>
            );
          }
          return (
            <div key={f.name} className="field">
              <label htmlFor={fid}>
                {f.label}
                {f.required && <span aria-hidden="true"> *</span>}
              </label>
              {f.kind === 'select' ? (
                <select
                  id={fid}
                  required={f.required}
                  value={v as string}
                  aria-describedby={describedBy}
                  onChange={(e) => set(f.name, e.target.value)}
                >
                  {f.required ? (
                    <option value="" disabled>
                      {t('common.choose')}
                    </option>
                  ) : (
                    <option value="">{t('common.none')}</option>
                  )}
                  {(f.options ?? []).map((o) => (
                    <option key={o.value} value={o.value}>
                      {o.label}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id={fid}
                  type={
                    f.kind === 'datetime'
                      ? 'datetime-local'
                      : f.kind === 'date' || f.kind === 'email' || f.kind === 'number'
                        ? f.kind
                        : 'text'
                  }
                  required={f.required}
                  maxLength={f.maxLength}
                  step={f.kind === 'number' ? f.step : undefined}
                  autoComplete={f.autoComplete ?? 'off'}
                  aria-describedby={describedBy}
                  value={v as string}
                  onChange={(e) => set(f.name, e.target.value)}
                />
              )}
              {help}
            </div>
          );
        })}
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}
