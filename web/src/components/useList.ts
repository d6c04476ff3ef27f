// A page of a list route (`{"items","total","limit","offset"}`) with its query: search, filters,
// sort and offset. The query is debounced (typing in the search box asks once), older answers are
// dropped, and `reload()` asks again after a change.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isMissingRoute } from '../api/client';
import type { Page } from '../api/types';
import { errorText } from './errors';

export const PAGE_SIZE = 50;

export interface ListState<T> {
  page: Page<T> | null;
  error: string;
  missing: boolean; // the route is not on this server
  reload: () => void;
}

// `params`: the query (empty values are left out). `path` null: nothing to ask yet.
export function useList<T>(path: string | null, params: Record<string, string | number | undefined>): ListState<T> {
  const { t } = useTranslation();
  const [page, setPage] = useState<Page<T> | null>(null);
  const [error, setError] = useState('');
  const [missing, setMissing] = useState(false);
  const [generation, setGeneration] = useState(0);
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const url = path && `${path}?${query}`;

  useEffect(() => {
    if (!url) return;
    const abort = new AbortController();
    const timer = setTimeout(() => {
      api<Page<T>>('GET', url, { signal: abort.signal }).then(
        (p) => {
          setPage(p);
          setError('');
          setMissing(false);
        },
        (e: unknown) => {
          if (abort.signal.aborted) return;
          setMissing(isMissingRoute(e));
          setError(isMissingRoute(e) ? t('common.notOnThisServer') : errorText(t, e));
        },
      );
    }, 150);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [url, generation, t]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { page, error, missing, reload };
}

// Every item of a list (up to the server's 1,000 a page), for pickers: vehicles, groups, devices.
export function useAll<T>(path: string | null, params: Record<string, string | number | undefined> = {}) {
  const state = useList<T>(path, { limit: 1000, ...params });
  return { items: state.page?.items ?? [], ...state };
}
