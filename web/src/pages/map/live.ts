// The live feed: WebSocket /api/v1/live, reconnected after any loss with exponential back-off
// (1 s doubling to 30 s, with jitter so that many browsers do not all return at once after a
// restart of the server). One socket serves the whole tab: each LiveFeed (the live map, a vehicle's
// page, the navigation's notification count) is a listener of the shared connection, which opens
// with the first listener and closes with the last.
import type { VehiclePosition } from '../../api/types';

export type FeedState = 'connecting' | 'live' | 'reconnecting';

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
// A connection that stayed open this long was a good one: the next loss starts the back-off over.
const STABLE_MS = 10_000;

interface Listener {
  onPosition(p: VehiclePosition): void;
  onState(s: FeedState, reconnected: boolean): void;
  onNotification?(n: unknown): void;
}

class Connection {
  private socket: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private openedAt = 0;
  private state: FeedState = 'connecting';
  private readonly listeners = new Set<Listener>();

  add(l: Listener) {
    this.listeners.add(l);
    if (this.listeners.size === 1) {
      this.failures = 0;
      this.connect();
    } else {
      l.onState(this.state, false);
    }
  }

  remove(l: Listener) {
    if (!this.listeners.delete(l) || this.listeners.size > 0) return;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
  }

  private setState(s: FeedState, reconnected: boolean) {
    this.state = s;
    for (const l of [...this.listeners]) l.onState(s, reconnected);
  }

  private connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/live`);
    this.socket = socket;
    if (this.failures === 0) this.setState('connecting', false);
    socket.onopen = () => {
      this.openedAt = Date.now();
      this.setState('live', this.failures > 0);
    };
    socket.onmessage = (e: MessageEvent<string>) => {
      let msg: unknown;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!msg || typeof msg !== 'object') return;
      const type = (msg as { type?: string }).type;
      if (type === 'position') {
        for (const l of this.listeners) l.onPosition(msg as VehiclePosition);
      } else if (type === 'notification') {
        const n = (msg as { notification?: unknown }).notification;
        if (n && typeof n === 'object') for (const l of this.listeners) l.onNotification?.(n);
      }
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      if (this.openedAt && Date.now() - this.openedAt > STABLE_MS) this.failures = 0;
      this.openedAt = 0;
      this.failures += 1;
      this.setState('reconnecting', false);
      const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.failures - 1));
      this.timer = setTimeout(() => this.connect(), delay * (0.75 + Math.random() * 0.5));
    };
  }
}

const shared = new Connection();

export class LiveFeed implements Listener {
  private started = false;

  constructor(
    readonly onPosition: (p: VehiclePosition) => void,
    readonly onState: (s: FeedState, reconnected: boolean) => void,
    readonly onNotification?: (n: unknown) => void,
  ) {}

  start() {
    if (this.started) return;
    this.started = true;
    shared.add(this);
  }

  stop() {
    if (!this.started) return;
    this.started = false;
    shared.remove(this);
  }
}
