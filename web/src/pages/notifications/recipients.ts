// A notification's recipient in words.
import type { UserRecord } from '../../api/types';
import type { Webhook } from '../alerts/types';

// "user:3" / "webhook:2" as the user's e-mail or the webhook's name, when known.
export function recipientText(recipient: string, users: readonly UserRecord[], webhooks: readonly Webhook[]): string {
  const [kind, id] = recipient.split(':');
  if (kind === 'user') return users.find((u) => String(u.id) === id)?.email ?? recipient;
  if (kind === 'webhook') return webhooks.find((w) => String(w.id) === id)?.name ?? recipient;
  return recipient;
}
