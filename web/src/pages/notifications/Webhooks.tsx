// Webhooks (/api/v1/webhooks, tenant administrators): create (the signing secret is shown once),
// enable or disable, test (a signed event of type "test" sent now, its outcome shown), rotate the
// secret (shown once), delete (refused while a rule calls it). Creating, changing and rotating need
// a recent sign-in: after five minutes the server asks for a step-up, which the dialog of
// useStepUp collects before trying again.
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useFormats } from '../../app/time';
import { EntityForm } from '../../components/EntityForm';
import { errorText } from '../../components/errors';
import { ListBody, Pager, SortHeader } from '../../components/ListParts';
import { ShownOnce } from '../../components/ShownOnce';
import { useStepUp } from '../../components/StepUp';
import { PAGE_SIZE, useList } from '../../components/useList';
import type { Webhook } from '../alerts/types';

interface Secret {
  name: string;
  secret: string;
}

export default function Webhooks() {
  const { t } = useTranslation();
  const formats = useFormats();
  const id = useId();
  const stepUp = useStepUp();
  const [sort, setSort] = useState('name');
  const [offset, setOffset] = useState(0);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<Secret | null>(null);
  const [message, setMessage] = useState('');
  const list = useList<Webhook>('/api/v1/webhooks', { sort, offset, limit: PAGE_SIZE });

  async function act(work: () => Promise<void>) {
    setMessage('');
    try {
      await work();
    } catch (e) {
      setMessage(errorText(t, e));
    }
    list.reload();
  }

  const test = (w: Webhook) =>
    act(async () => {
      const r = await api<{ ok: boolean; status: number | null; error: string | null }>('POST', `/api/v1/webhooks/${w.id}/test`, {
        body: {},
      });
      setMessage(
        r.ok
          ? t('notifications.webhook.testOk', { name: w.name, status: r.status })
          : t('notifications.webhook.testFailed', { name: w.name, error: r.error || `HTTP ${r.status ?? ''}` }),
      );
    });

  const rotate = (w: Webhook) =>
    act(async () => {
      if (!window.confirm(t('notifications.webhook.rotateConfirm', { name: w.name }))) return;
      const made = await stepUp.run(() => api<Webhook & { secret: string }>('POST', `/api/v1/webhooks/${w.id}/rotate-secret`, { body: {} }));
      setSecret({ name: made.name, secret: made.secret });
    });

  const toggle = (w: Webhook) =>
    act(async () => {
      await stepUp.run(() => api('PATCH', `/api/v1/webhooks/${w.id}`, { body: { enabled: !w.enabled } }));
      setMessage(t('common.saved'));
    });

  const remove = (w: Webhook) =>
    act(async () => {
      if (!window.confirm(t('notifications.webhook.deleteConfirm', { name: w.name }))) return;
      await api('DELETE', `/api/v1/webhooks/${w.id}`);
      setMessage(t('common.deleted'));
    });

  return (
    <section aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('notifications.webhooks')}</h2>
      <p className="help">{t('notifications.webhook.help')}</p>
      {stepUp.dialog}
      {message && (
        <p className="notice" role="status">
          {message}
        </p>
      )}
      {secret && (
        <ShownOnce
          intro={t('notifications.webhook.secretOnce', { name: secret.name })}
          secret={secret.secret}
          testId="webhook-secret"
          done={{ label: t('notifications.webhook.secretStored'), onClick: () => setSecret(null) }}
        />
      )}
      {creating ? (
        <EntityForm
          title={t('notifications.webhook.new')}
          submitLabel={t('common.create')}
          fields={[
            { name: 'name', label: t('notifications.webhook.name'), required: true, maxLength: 128 },
            { name: 'url', label: t('notifications.webhook.url'), required: true, maxLength: 2048, help: t('notifications.webhook.urlHelp') },
            { name: 'enabled', label: t('notifications.webhook.enabled'), kind: 'checkbox' },
          ]}
          initial={{ enabled: true }}
          onCancel={() => setCreating(false)}
          onSubmit={async (body) => {
            const made = await stepUp.run(() => api<Webhook & { secret: string }>('POST', '/api/v1/webhooks', { body }));
            setSecret({ name: made.name, secret: made.secret });
            setCreating(false);
            list.reload();
          }}
        />
      ) : (
        <button type="button" onClick={() => setCreating(true)}>
          {t('notifications.webhook.new')}
        </button>
      )}
      <ListBody page={list.page} error={list.error} empty={t('notifications.webhook.none')}>
        {(p) => (
          <>
            <div className="table-scroll">
              <table className="data">
                <caption className="visually-hidden">{t('notifications.webhooks')}</caption>
                <thead>
                  <tr>
                    <SortHeader field="name" sort={sort} onSort={setSort}>
                      {t('notifications.webhook.name')}
                    </SortHeader>
                    <th scope="col">{t('notifications.webhook.url')}</th>
                    <th scope="col">{t('notifications.webhook.enabled')}</th>
                    <SortHeader field="created_at" sort={sort} onSort={setSort}>
                      {t('notifications.webhook.created')}
                    </SortHeader>
                    <th scope="col">
                      <span className="visually-hidden">{t('common.actions')}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {p.items.map((w) => (
                    <tr key={w.id}>
                      <th scope="row">{w.name}</th>
                      <td className="url">{w.url}</td>
                      <td>{w.enabled ? t('common.yes') : t('common.no')}</td>
                      <td>{formats.dateTime(w.created_at)}</td>
                      <td className="row-actions">
                        <button type="button" onClick={() => void test(w)} aria-label={t('notifications.webhook.testOne', { name: w.name })}>
                          {t('notifications.webhook.test')}
                        </button>
                        <button type="button" onClick={() => void toggle(w)}>
                          {w.enabled ? t('notifications.webhook.disable') : t('notifications.webhook.enable')}
                        </button>
                        <button type="button" onClick={() => void rotate(w)} aria-label={t('notifications.webhook.rotateOne', { name: w.name })}>
                          {t('notifications.webhook.rotate')}
                        </button>
                        <button
                          type="button"
                          className="danger"
                          onClick={() => void remove(w)}
                          aria-label={t('notifications.webhook.deleteOne', { name: w.name })}
                        >
                          {t('common.delete')}
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={p} onOffset={setOffset} />
          </>
        )}
      </ListBody>
    </section>
  );
}
