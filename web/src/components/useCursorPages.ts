// A list that pages backwards with the server's cursor, newest first (the audit log's `before_id`,
// the events inbox's `before`): such lists grow at their head while one reads, so offsets would
// skip or repeat rows. "Older" follows the cursor the answer gives, "Newer" goes back one page,
// "Newest" to the first. A new query starts at the newest page again; reload() asks again for the
// page shown. Older answers of an abandoned query are dropped.
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, isMissingRoute } from '../api/client';
import { errorText } from './errors';

type Cursor = string | number;

export interface CursorPages<A> {
  answer: A | null; // null while the page is read
  error: string;
  hasNewer: boolean;
  hasOlder: boolean;
  older: () => void;
  newer: () => void;
  newest: () => void;
  reload: () => void;
}

// `query`: the list's parameters as a query string (without the cursor); `nextOf`: the answer's
// cursor of the next older page, null on the last one.
export function useCursorPages<A>(
  path: string,
  query: string,
  cursorParam: string,
  nextOf: (a: A) => Cursor | null,
): CursorPages<A> {
  const { t } = useTranslation();
  const [cursors, setCursors] = useState<(Cursor | null)[]>([null]);
  const [answer, setAnswer] = useState<A | null>(null);
  const [error, setError] = useState('');
  const [generation, setGeneration] = useState(0);
  const [shownQuery, setShownQuery] = useState(query);
  if (shownQuery !== query) {
    // A new query: from the newest page (adjusted while rendering, so no request for the old page).
    setShownQuery(query);
    setCursors([null]);
  }
  const cursor = shownQuery === query ? (cursors.at(-1) ?? null) : null;

  useEffect(() => {
    const abort = new AbortController();
    const q = new URLSearchParams(query);
    if (cursor !== null) q.set(cursorParam, String(cursor));
    setAnswer(null);
    api<A>('GET', `${path}?${q}`, { signal: abort.signal }).then(
      (a) => {
        setAnswer(a);
        setError('');
      },
      (e: unknown) => {
        if (!abort.signal.aborted) setError(isMissingRoute(e) ? t('common.notOnThisServer') : errorText(t, e));
      },
    );
    return () => abort.abort();
  }, [path, query, cursor, cursorParam, generation, t]);

  const next = answer === null ? null : nextOf(answer);
  const older = useCallback(() => {
    if (next !== null) setCursors((c) => [...c, next]);
  }, [next]);
  const newer = useCallback(() => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)), []);
  const newest = useCallback(() => setCursors([null]), []);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { answer, error, hasNewer: cursors.length > 1, hasOlder: next !== null, older, newer, newest, reload };
}
