// A secret the server shows only once (an API token, a webhook's signing secret): what it is, the
// secret as text to copy, and, where given, a button that hides it once stored.
import type { ReactNode } from 'react';

export function ShownOnce({
  intro,
  secret,
  testId,
  done,
}: {
  intro: ReactNode;
  secret: string;
  testId: string;
  done?: { label: string; onClick: () => void };
}) {
  return (
    <div className="notice" role="status">
      <p>{intro}</p>
      <code className="secret" data-testid={testId}>
        {secret}
      </code>
      {done && (
        <button type="button" onClick={done.onClick}>
          {done.label}
        </button>
      )}
    </div>
  );
}
