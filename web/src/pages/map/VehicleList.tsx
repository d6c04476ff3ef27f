// The side list of the live map: one row per vehicle (only the rows in view are in the DOM, so a
// fleet of thousands scrolls smoothly). One row takes the Tab stop; the arrow keys, Home and End
// move between rows, Enter or Space selects.
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import type { VehiclePosition as Position } from '../../api/types';
import { relativeAge } from '../../app/time';
import type { Status } from './status';

export const ROW_PX = 56;
const OVERSCAN = 6;

// A vehicle of the list: with its latest position, or none yet (status 'nodata').
export interface Row {
  id: number;
  name: string;
  position: Position | null;
  status: Status;
}

interface Props {
  rows: Row[];
  now: number;
  selectedId: number | null;
  onSelect: (id: number) => void;
  statusLabel: (s: Status) => string;
}

function useAge(now: number) {
  const { i18n } = useTranslation();
  const format = new Intl.RelativeTimeFormat(i18n.resolvedLanguage, { numeric: 'auto', style: 'short' });
  return (time: string) => relativeAge(format, Date.parse(time), now);
}

export function VehicleList({ rows, now, selectedId, onSelect, statusLabel }: Props) {
  const { t } = useTranslation();
  const age = useAge(now);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [active, setActive] = useState(0);
  const focusPending = useRef(false);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const activeIndex = Math.min(active, Math.max(0, rows.length - 1));
  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_PX) + OVERSCAN);

  useEffect(() => {
    if (!focusPending.current) return;
    focusPending.current = false;
    scroller.current?.querySelector<HTMLButtonElement>(`[data-index="${activeIndex}"]`)?.focus();
  });

  function move(to: number) {
    const index = Math.max(0, Math.min(rows.length - 1, to));
    setActive(index);
    focusPending.current = true;
    const el = scroller.current;
    if (!el) return;
    if (index * ROW_PX < el.scrollTop) el.scrollTop = index * ROW_PX;
    else if ((index + 1) * ROW_PX > el.scrollTop + el.clientHeight) el.scrollTop = (index + 1) * ROW_PX - el.clientHeight;
    setScrollTop(el.scrollTop);
  }

  function onKeyDown(e: KeyboardEvent) {
    const page = Math.max(1, Math.floor(height / ROW_PX) - 1);
    const moves: Record<string, number> = {
      ArrowDown: activeIndex + 1,
      ArrowUp: activeIndex - 1,
      PageDown: activeIndex + page,
      PageUp: activeIndex - page,
      Home: 0,
      End: rows.length - 1,
    };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    move(to);
  }

  if (rows.length === 0) return <p className="list-empty">{t('map.noMatch')}</p>;

  return (
    <div className="vlist" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <ul aria-label={t('map.listLabel')} onKeyDown={onKeyDown} style={{ height: rows.length * ROW_PX }}>
        {rows.slice(first, last).map(({ id, name, position: p, status }, i) => {
          const index = first + i;
          return (
            <li key={id} aria-setsize={rows.length} aria-posinset={index + 1} style={{ top: index * ROW_PX }}>
              <button
                type="button"
                data-index={index}
                tabIndex={index === activeIndex ? 0 : -1}
                aria-pressed={id === selectedId}
                onClick={() => {
                  setActive(index);
                  onSelect(id);
                }}
              >
                <span className={`dot vm-${status}`} aria-hidden="true" />
                <span className="vname">{name}</span>
                <span className="vmeta">
                  {p
                    ? `${statusLabel(status)} · ${t('map.speed', { speed: Math.round(p.speed_kmh) })} · ${age(p.time)}`
                    : statusLabel(status)}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
