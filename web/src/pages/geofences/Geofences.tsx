// Geofences (/geofences): the tenant's circles and polygons on the map and in a list; for
// operations.write, drawing a new one on the map (or placing its points at the map's centre from
// the keyboard), editing its name, description and speed limit (and redrawing its shape the same
// way), deleting it, and importing a GeoJSON file (POST /api/v1/geofences/import: what was created,
// or each feature refused with why).
import { useEffect, useId, useRef, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import type { Geofence, ImportAnswer } from '../../api/opsTypes';
import { useCan } from '../../app/access';
import { EntityForm, type FieldSpec } from '../../components/EntityForm';
import { errorText } from '../../components/errors';
import { useAll } from '../../components/useList';
import { draftComplete, draftGeometry, importBody, newDraft, type Draft, type LatLon } from './geo';
import { GeofenceMap } from './GeofenceMap';
import '../ops.css';

function DrawTools({
  draft,
  setDraft,
  center,
}: {
  draft: Draft;
  setDraft: (d: Draft) => void;
  center: () => LatLon | null;
}) {
  const { t } = useTranslation();
  const id = useId();
  if (draft.kind === 'circle') {
    return (
      <div className="draw-tools">
        <p className="help" id={`${id}-how`}>
          {t('geofences.circleHelp')}
        </p>
        <p aria-live="polite">
          {draft.center
            ? t('geofences.centre', { lat: draft.center[0].toFixed(5), lon: draft.center[1].toFixed(5) })
            : t('geofences.noCentre')}
        </p>
        <button
          type="button"
          onClick={() => {
            const c = center();
            if (c) setDraft({ ...draft, center: c, fixed: draft.radius !== null });
          }}
        >
          {t('geofences.centreHere')}
        </button>
        <label htmlFor={`${id}-radius`}>{t('geofences.radius')}</label>
        <input
          id={`${id}-radius`}
          type="number"
          min={1}
          step={1} // whole metres
          value={draft.radius === null ? '' : Math.round(draft.radius)}
          onChange={(e) => {
            const r = Number(e.target.value);
            setDraft({ ...draft, radius: e.target.value === '' || !(r > 0) ? null : r, fixed: e.target.value !== '' });
          }}
        />
      </div>
    );
  }
  return (
    <div className="draw-tools">
      <p className="help">{t('geofences.polygonHelp')}</p>
      <p aria-live="polite">
        {draft.closed ? t('geofences.closed', { count: draft.points.length }) : t('geofences.points', { count: draft.points.length })}
      </p>
      <div className="button-row">
        {!draft.closed && (
          <button
            type="button"
            onClick={() => {
              const c = center();
              if (c) setDraft({ ...draft, points: [...draft.points, c] });
            }}
          >
            {t('geofences.pointHere')}
          </button>
        )}
        <button
          type="button"
          disabled={draft.points.length === 0}
          onClick={() => setDraft({ ...draft, points: draft.closed ? draft.points : draft.points.slice(0, -1), closed: false })}
        >
          {draft.closed ? t('geofences.reopen') : t('geofences.undoPoint')}
        </button>
        {!draft.closed && (
          <button type="button" disabled={draft.points.length < 3} onClick={() => setDraft({ ...draft, closed: true })}>
            {t('geofences.close')}
          </button>
        )}
      </div>
    </div>
  );
}

// The server takes an import of at most 2 MiB: a larger file is refused here, before sending it.
const IMPORT_MAX_BYTES = 2 * 1024 * 1024;

function Importer({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation();
  const id = useId();
  const [result, setResult] = useState<ImportAnswer | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function choose(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = '';
    setResult(null);
    setError('');
    if (!file) return;
    if (file.size > IMPORT_MAX_BYTES) {
      setError(t('geofences.importError.size', { name: file.name }));
      return;
    }
    const parsed = importBody(await file.text());
    if ('error' in parsed) {
      setError(t(`geofences.importError.${parsed.error}`, { name: file.name }));
      return;
    }
    setBusy(true);
    try {
      setResult(await api<ImportAnswer>('POST', '/api/v1/geofences/import', { body: parsed.body }));
      onDone();
    } catch (err) {
      // Refused features (all or nothing: then none was created), each with the server's reason.
      const errors = err instanceof ApiError ? err.problem.errors : undefined;
      if (Array.isArray(errors) && errors.length > 0) {
        setResult({ created: 0, errors: errors as ImportAnswer['errors'] });
      } else {
        setError(errorText(t, err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="import" aria-labelledby={`${id}-title`} aria-busy={busy}>
      <h2 id={`${id}-title`}>{t('geofences.import')}</h2>
      <label htmlFor={`${id}-file`}>{t('geofences.importFile')}</label>
      <input id={`${id}-file`} type="file" accept=".geojson,.json,application/geo+json,application/json" onChange={(e) => void choose(e)} />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {result && result.errors.length === 0 && (
        <p className="notice" role="status">
          {t('geofences.imported', { count: result.created })}
        </p>
      )}
      {result && result.errors.length > 0 && (
        <div className="error" role="alert">
          <p>{t('geofences.importRefused', { count: result.errors.length })}</p>
          <ul className="import-errors">
            {result.errors.map((er) => (
              <li key={er.index}>{t('geofences.featureError', { index: er.index + 1, detail: er.detail })}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

function NewGeofence({
  draft,
  fields,
  onSaved,
  onCancel,
}: {
  draft: Draft;
  fields: FieldSpec[];
  onSaved: (g: Geofence) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const [missing, setMissing] = useState(false);
  return (
    <>
      {missing && !draftComplete(draft) && (
        <p className="error" role="alert">
          {t(draft.kind === 'circle' ? 'geofences.drawCircleFirst' : 'geofences.drawPolygonFirst')}
        </p>
      )}
      <EntityForm
        title={t(draft.kind === 'circle' ? 'geofences.newCircle' : 'geofences.newPolygon')}
        submitLabel={t('common.create')}
        fields={fields}
        onCancel={onCancel}
        onSubmit={async (body) => {
          if (!draftComplete(draft)) {
            setMissing(true);
            return;
          }
          onSaved(await api<Geofence>('POST', '/api/v1/geofences', { body: { ...body, ...draftGeometry(draft) } }));
        }}
      />
    </>
  );
}

export default function Geofences() {
  const { t } = useTranslation();
  const can = useCan();
  const write = can('operations.write');
  const list = useAll<Geofence>('/api/v1/geofences', { sort: 'name' });
  const geofences = list.items;
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  // With `editing` set, a draft is the editing geofence's new shape (a redraw), else a new geofence.
  const [editing, setEditing] = useState<Geofence | null>(null);
  const [redrawMissing, setRedrawMissing] = useState(false);
  const [notice, setNotice] = useState('');
  const [filter, setFilter] = useState('');
  const centerRef = useRef<(() => LatLon) | null>(null);
  const searchId = useId();
  const listRef = useRef<HTMLUListElement>(null);

  // A geofence picked on the map comes into view in the list.
  useEffect(() => {
    if (selectedId !== null) listRef.current?.querySelector(`[data-id="${selectedId}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selectedId]);

  const fields: FieldSpec[] = [
    { name: 'name', label: t('geofences.name'), required: true, maxLength: 128 },
    { name: 'description', label: t('geofences.description'), maxLength: 1000 },
    { name: 'speed_limit_kmh', label: t('geofences.speedLimit'), kind: 'number', step: 'any', help: t('geofences.speedLimitHelp') },
  ];
  const editFields = (g: Geofence): FieldSpec[] =>
    g.kind === 'circle' ? [...fields, { name: 'radius_m', label: t('geofences.radius'), kind: 'number', step: 'any', required: true }] : fields;

  async function remove(g: Geofence) {
    if (!window.confirm(t('geofences.deleteConfirm', { name: g.name }))) return;
    try {
      await api('DELETE', `/api/v1/geofences/${g.id}`);
      setNotice(t('common.deleted'));
      if (selectedId === g.id) setSelectedId(null);
      list.reload();
    } catch (e) {
      setNotice(errorText(t, e));
    }
  }

  const start = (kind: 'circle' | 'polygon') => {
    setDraft(newDraft(kind));
    setRedrawMissing(false);
    setEditing(null);
    setNotice('');
  };

  const needle = filter.trim().toLocaleLowerCase();
  const shown = geofences.filter((g) => !needle || g.name.toLocaleLowerCase().includes(needle));

  return (
    <div className="ops-split">
      <div className="ops-side">
        <div className="page-head">
          <h1>{t('geofences.title')}</h1>
        </div>
        {write && !draft && !editing && (
          <div className="button-row">
            <button type="button" className="primary-inline" onClick={() => start('polygon')}>
              {t('geofences.drawPolygon')}
            </button>
            <button type="button" className="primary-inline" onClick={() => start('circle')}>
              {t('geofences.drawCircle')}
            </button>
          </div>
        )}
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        {draft && <DrawTools draft={draft} setDraft={setDraft} center={() => centerRef.current?.() ?? null} />}
        {draft && !editing && (
          <>
            <NewGeofence
              key={draft.kind}
              draft={draft}
              fields={fields}
              onCancel={() => setDraft(null)}
              onSaved={(g) => {
                setDraft(null);
                setNotice(t('geofences.created', { name: g.name }));
                setSelectedId(g.id);
                list.reload();
              }}
            />
          </>
        )}
        {editing && (
          <>
            <div className="button-row">
              {draft ? (
                <button type="button" onClick={() => setDraft(null)}>
                  {t('geofences.keepShape')}
                </button>
              ) : (
                <>
                  <button type="button" onClick={() => setDraft(newDraft('polygon'))}>
                    {t('geofences.redrawPolygon')}
                  </button>
                  <button type="button" onClick={() => setDraft(newDraft('circle'))}>
                    {t('geofences.redrawCircle')}
                  </button>
                </>
              )}
            </div>
            {redrawMissing && draft && !draftComplete(draft) && (
              <p className="error" role="alert">
                {t(draft.kind === 'circle' ? 'geofences.drawCircleFirst' : 'geofences.drawPolygonFirst')}
              </p>
            )}
            <EntityForm
              key={editing.id}
              title={t('common.editing', { name: editing.name })}
              submitLabel={t('common.save')}
              // A new shape brings its own radius.
              fields={draft ? fields : editFields(editing)}
              initial={editing as unknown as Record<string, unknown>}
              changesOnly
              onCancel={() => {
                setEditing(null);
                setDraft(null);
              }}
              onSubmit={async (body) => {
                if (draft && !draftComplete(draft)) {
                  setRedrawMissing(true);
                  return;
                }
                await api('PATCH', `/api/v1/geofences/${editing.id}`, { body: draft ? { ...body, ...draftGeometry(draft) } : body });
                setEditing(null);
                setDraft(null);
                setNotice(t('common.saved'));
                list.reload();
              }}
            />
          </>
        )}
        <label htmlFor={searchId}>{t('geofences.search')}</label>
        <input id={searchId} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} />
        {list.error ? (
          <p className="error" role="alert">
            {list.error}
          </p>
        ) : !list.page ? null : shown.length === 0 ? (
          <p className="empty">{t('geofences.none')}</p>
        ) : (
          <ul ref={listRef} className="geofence-list" aria-label={t('geofences.listLabel')}>
            {shown.map((g) => (
              <li key={g.id} data-id={g.id} className={g.id === selectedId ? 'selected' : undefined}>
                <button type="button" className="geofence-pick" aria-pressed={g.id === selectedId} onClick={() => setSelectedId(g.id)}>
                  <span className="gname">{g.name}</span>
                  <span className="gmeta">
                    {g.kind === 'circle'
                      ? t('geofences.circleOf', { radius: Math.round(g.radius_m ?? 0) })
                      : t('geofences.polygon')}
                    {g.speed_limit_kmh !== null && ` · ${t('geofences.limit', { speed: g.speed_limit_kmh })}`}
                  </span>
                </button>
                {write && (
                  <span className="row-actions">
                    <button
                      type="button"
                      aria-label={t('common.editNamed', { name: g.name })}
                      onClick={() => {
                        setEditing(g);
                        setDraft(null);
                        setRedrawMissing(false);
                        setNotice('');
                        setSelectedId(g.id);
                      }}
                    >
                      {t('common.edit')}
                    </button>
                    <button type="button" className="danger" aria-label={`${t('common.delete')}: ${g.name}`} onClick={() => void remove(g)}>
                      {t('common.delete')}
                    </button>
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
        {write && <Importer onDone={list.reload} />}
      </div>
      <GeofenceMap
        geofences={geofences}
        selectedId={selectedId}
        onSelect={setSelectedId}
        draft={draft}
        onDraft={setDraft}
        centerRef={centerRef}
      />
    </div>
  );
}
