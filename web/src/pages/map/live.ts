// The live feed: WebSocket /api/v1/live, reconnected after any loss with exponential back-off
// (1 s doubling to 30 s, with jitter so that many browsers do not all return at once after a
// restart of the server).
import type { VehiclePosition } from '../../api/types';

export type FeedState = 'connecting' | 'live' | 'reconnecting';

const FIRST_DELAY_MS = 1000;
const MAX_DELAY_MS = 30_000;
// A connection that stayed open this long was a good one: the next loss starts the back-off over.
const STABLE_MS = 10_000;

export class LiveFeed {
  private socket: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private openedAt = 0;
  private stopped = false;

  constructor(
    private readonly onPosition: (p: VehiclePosition) => void,
    private readonly onState: (s: FeedState, reconnected: boolean) => void,
  ) {}

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
    this.socket = null;
  }

  private connect() {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const socket = new WebSocket(`${scheme}://${location.host}/api/v1/live`);
    this.socket = socket;
    if (this.failures === 0) this.onState('connecting', false);
    socket.onopen = () => {
      this.openedAt = Date.now();
      this.onState('live', this.failures > 0);
    };
    socket.onmessage = (e: MessageEvent<string>) => {
      let msg: unknown;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (msg && typeof msg === 'object' && (msg as { type?: string }).type === 'position') {
        this.onPosition(msg as VehiclePosition);
      }
    };
    socket.onclose = () => {
      if (this.stopped || this.socket !== socket) return;
      if (this.openedAt && Date.now() - this.openedAt > STABLE_MS) this.failures = 0;
      this.openedAt = 0;
      this.failures += 1;
      this.onState('reconnecting', false);
      const delay = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (this.failures - 1));
      this.timer = setTimeout(() => this.connect(), delay * (0.75 + Math.random() * 0.5));
    };
  }
}
