// The user's API tokens (GET/POST/DELETE /api/v1/me/tokens): for scripts. A new token is shown
// once — the server keeps only its hash. The section hides itself on a server without the routes.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import type { ApiToken, TokenScope } from '../../api/types';
import { useFormats } from '../../app/time';
import { EntityForm } from '../../components/EntityForm';
import { errorText } from '../../components/errors';
import { ListBody } from '../../components/ListParts';
import { ShownOnce } from '../../components/ShownOnce';
import { useStepUp } from '../../components/StepUp';
import { useList } from '../../components/useList';

const SCOPES: readonly TokenScope[] = ['read', 'write', 'commands'];

export function Tokens() {
  const { t } = useTranslation();
  const formats = useFormats();
  const list = useList<ApiToken>('/api/v1/me/tokens', {});
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState('');
  const [message, setMessage] = useState('');
  // A token is a new credential: the server asks for a recent sign-in, the dialog collects it.
  const stepUp = useStepUp();
  if (list.missing) return null;
  const page = list.page && { ...list.page, total: list.page.items.length, limit: 100, offset: 0 };

  async function revoke(token: ApiToken) {
    if (!window.confirm(t('tokens.revokeConfirm', { name: token.name }))) return;
    try {
      await api('DELETE', `/api/v1/me/tokens/${token.id}`);
      setMessage(t('tokens.revoked'));
      list.reload();
    } catch (e) {
      setMessage(errorText(t, e));
    }
  }

  return (
    <section aria-labelledby="tokens-title">
      <h2 id="tokens-title">{t('tokens.title')}</h2>
      <p className="help">{t('tokens.help')}</p>
      {stepUp.dialog}
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {secret && <ShownOnce intro={t('tokens.shownOnce')} secret={secret} testId="new-token" />}
      {creating ? (
        <EntityForm
          title={t('tokens.new')}
          submitLabel={t('common.create')}
          fields={[
            { name: 'name', label: t('tokens.name'), required: true, maxLength: 64 },
            {
              name: 'scopes',
              label: t('tokens.scopes'),
              kind: 'multi',
              options: SCOPES.map((s) => ({ value: s, label: t(`tokens.scope.${s}`) })),
            },
            { name: 'expires_in_days', label: t('tokens.days'), kind: 'number', help: t('tokens.daysHelp') },
          ]}
          initial={{ scopes: ['read'], expires_in_days: 90 }}
          onCancel={() => setCreating(false)}
          onSubmit={async (body) => {
            const made = await stepUp.run(() => api<ApiToken & { token: string }>('POST', '/api/v1/me/tokens', { body }));
            setSecret(made.token);
            setCreating(false);
            list.reload();
          }}
        />
      ) : (
        <button type="button" onClick={() => setCreating(true)}>
          {t('tokens.new')}
        </button>
      )}
      <ListBody page={page} error={list.error} empty={t('tokens.none')}>
        {(p) => (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">{t('tokens.name')}</th>
                <th scope="col">{t('tokens.scopes')}</th>
                <th scope="col">{t('tokens.expires')}</th>
                <th scope="col">{t('tokens.lastUsed')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.items.map((tok) => (
                <tr key={tok.id}>
                  <th scope="row">{tok.name}</th>
                  <td>{tok.scopes.map((s) => t(`tokens.scope.${s}`)).join(', ')}</td>
                  <td>{formats.dateTime(tok.expires_at)}</td>
                  <td>{tok.last_used_at ? formats.dateTime(tok.last_used_at) : t('tokens.never')}</td>
                  <td>
                    <button type="button" onClick={() => void revoke(tok)}>
                      {t('tokens.revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListBody>
    </section>
  );
}
