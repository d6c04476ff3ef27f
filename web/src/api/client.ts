// The one way the application talks to fleetd's API: JSON over fetch with the session cookie, the
// CSRF token on every change, and RFC 9457 problems turned into ApiError. Two answers concern the
// whole application rather than the page that asked, so they are also announced on `apiEvents`:
// 401 (the session ended: back to sign-in) and 403 password-change-required /
// totp-enrolment-required (the account must finish its set-up first).

export type SetupStep = 'password' | 'totp';

export class ApiError extends Error {
  readonly status: number;
  readonly type: string; // the stable suffix: "account-locked", "totp-required", ...
  readonly detail: string;
  readonly retryAfterSeconds: number | null;
  // The whole problem object, for a route's extension members (e.g. an import's "errors").
  readonly problem: Record<string, unknown>;

  constructor(
    status: number,
    type: string,
    title: string,
    detail: string,
    retryAfterSeconds: number | null,
    problem: Record<string, unknown> = {},
  ) {
    super(title || `HTTP ${status}`);
    this.status = status;
    this.type = type;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
    this.problem = problem;
  }
}

export const apiEvents = new EventTarget();
export const SESSION_ENDED = 'session-ended';
export const SETUP_REQUIRED = 'setup-required';

// The token of this sign-in (also in the __Host-fleetd_csrf cookie, which survives a reload).
let csrfToken = '';
export function setCsrfToken(token: string) {
  csrfToken = token;
}
function currentCsrf(): string {
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('__Host-fleetd_csrf='));
  return cookie ? decodeURIComponent(cookie.slice('__Host-fleetd_csrf='.length)) : csrfToken;
}

const PROBLEM_PREFIX = 'https://fleetd.dev/problems/';

async function toError(res: Response): Promise<ApiError> {
  let type = '';
  let title = res.statusText;
  let detail = '';
  let problem: Record<string, unknown> = {};
  try {
    const body = (await res.json()) as { type?: string; title?: string; detail?: string };
    type = (body.type ?? '').replace(PROBLEM_PREFIX, '');
    title = body.title ?? title;
    detail = body.detail ?? '';
    if (body && typeof body === 'object') problem = body as Record<string, unknown>;
  } catch {
    // not problem+json (a proxy's page): keep the status alone
  }
  const retry = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
  return new ApiError(res.status, type, title, detail, Number.isFinite(retry) ? retry : null, problem);
}

export interface RequestOptions {
  body?: unknown;
  // Sign-in and the first look at /me expect 401 as an answer, not as the end of a session.
  quietUnauthorized?: boolean;
  signal?: AbortSignal;
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const token = currentCsrf();
    if (token) headers['X-CSRF-Token'] = token;
  }
  const res = await fetch(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'same-origin',
    signal: options.signal,
  });
  if (!res.ok) {
    const error = await toError(res);
    if (error.status === 401 && !options.quietUnauthorized) {
      apiEvents.dispatchEvent(new Event(SESSION_ENDED));
    } else if (error.status === 403 && error.type === 'password-change-required') {
      apiEvents.dispatchEvent(new CustomEvent<SetupStep>(SETUP_REQUIRED, { detail: 'password' }));
    } else if (error.status === 403 && error.type === 'totp-enrolment-required') {
      apiEvents.dispatchEvent(new CustomEvent<SetupStep>(SETUP_REQUIRED, { detail: 'totp' }));
    }
    throw error;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

// A route that a later release adds answers 404 on this server: pages say so instead of failing.
export function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404 && (e.type === 'not-found' || e.type === '');
}
