// The user's signed-in sessions (GET /api/v1/me/sessions): where and when, this one marked; each
// can be ended, or all the others at once. Ending this one signs out.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import type { Session } from '../../api/types';
import { useAuth } from '../../app/auth';
import { useFormats } from '../../app/time';
import { errorText } from '../../components/errors';
import { ListBody } from '../../components/ListParts';
import { useList } from '../../components/useList';

export function Sessions() {
  const { t } = useTranslation();
  const formats = useFormats();
  const { signOut } = useAuth();
  const list = useList<Session>('/api/v1/me/sessions', { limit: 100 });
  const [message, setMessage] = useState('');

  async function revoke(s: Session) {
    setMessage('');
    try {
      await api('DELETE', `/api/v1/me/sessions/${s.id}`);
      if (s.current) {
        await signOut();
        return;
      }
      setMessage(t('sessions.revoked'));
      list.reload();
    } catch (e) {
      setMessage(errorText(t, e));
    }
  }

  async function revokeOthers() {
    setMessage('');
    try {
      const r = await api<{ sessions_revoked: number }>('DELETE', '/api/v1/me/sessions');
      setMessage(t('sessions.revokedOthers', { count: r.sessions_revoked }));
      list.reload();
    } catch (e) {
      setMessage(errorText(t, e));
    }
  }

  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">{t('sessions.title')}</h2>
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      <ListBody page={list.page} error={list.error} empty={t('sessions.none')}>
        {(page) => (
          <>
            <ul className="cards" aria-label={t('sessions.title')}>
              {page.items.map((s) => (
                <li key={s.id} className="card-row">
                  <div>
                    <strong className="ua">{s.user_agent || t('sessions.unknownBrowser')}</strong>
                    {s.current && <span className="badge">{t('sessions.current')}</span>}
                    <div className="muted">
                      {t('sessions.where', { ip: s.ip })} · {t('sessions.since', { at: formats.dateTime(s.created_at) })} ·{' '}
                      {t('sessions.lastSeen', { at: formats.dateTime(s.last_seen) })}
                    </div>
                  </div>
                  <button type="button" onClick={() => void revoke(s)}>
                    {s.current ? t('sessions.signOutHere') : t('sessions.revoke')}
                  </button>
                </li>
              ))}
            </ul>
            {page.items.length > 1 && (
              <button type="button" onClick={() => void revokeOthers()}>
                {t('sessions.revokeOthers')}
              </button>
            )}
          </>
        )}
      </ListBody>
    </section>
  );
}
