// The tenant's vehicles (GET /api/v1/vehicles), searchable and paged.
import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isMissingRoute } from '../api/client';
import type { Page, Vehicle } from '../api/types';
import { errorText } from '../components/errors';
import { Loading } from '../components/Loading';

const PAGE = 50;

export default function Vehicles() {
  const { t } = useTranslation();
  const searchId = useId();
  const [q, setQ] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page<Vehicle> | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    const abort = new AbortController();
    const timer = setTimeout(() => {
      const query = new URLSearchParams({ limit: String(PAGE), offset: String(offset), sort: 'name' });
      if (q.trim()) query.set('q', q.trim());
      api<Page<Vehicle>>('GET', `/api/v1/vehicles?${query}`, { signal: abort.signal }).then(
        (p) => {
          setPage(p);
          setError('');
        },
        (e: unknown) => {
          if (abort.signal.aborted) return;
          setError(isMissingRoute(e) ? t('common.notOnThisServer') : errorText(t, e));
        },
      );
    }, 200);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [q, offset, t]);

  return (
    <div className="page">
      <h1>{t('vehicles.title')}</h1>
      <div className="toolbar">
        <label htmlFor={searchId}>{t('vehicles.search')}</label>
        <input
          id={searchId}
          type="search"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            setOffset(0);
          }}
        />
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : !page ? (
        <Loading />
      ) : page.items.length === 0 ? (
        <p>{t('vehicles.none')}</p>
      ) : (
        <>
          <table className="data">
            <caption className="visually-hidden">{t('vehicles.title')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('vehicles.name')}</th>
                <th scope="col">{t('vehicles.plate')}</th>
                <th scope="col">{t('vehicles.makeModel')}</th>
                <th scope="col">{t('vehicles.vin')}</th>
                <th scope="col">{t('vehicles.device')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((v) => (
                <tr key={v.id}>
                  <th scope="row">{v.name}</th>
                  <td>{v.plate}</td>
                  <td>{[v.make, v.model].filter(Boolean).join(' ')}</td>
                  <td>{v.vin}</td>
                  <td>{v.installation?.imei}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              {t('common.previous')}
            </button>
            <span>
              {t('common.range', {
                from: page.total === 0 ? 0 : offset + 1,
                to: Math.min(offset + PAGE, page.total),
                total: page.total,
              })}
            </span>
            <button type="button" disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
              {t('common.next')}
            </button>
          </div>
        </>
      )}
    </div>
  );
}
