// The route's points as a list (only the rows in view are in the DOM: a month can hold hundreds of
// thousands). The point the timeline is at is marked and kept in view; picking a row moves the
// timeline there.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Position } from '../../api/types';
import type { Formats } from '../../app/time';

const ROW_PX = 44;
const OVERSCAN = 8;

interface Props {
  points: Position[];
  index: number;
  onPick: (index: number) => void;
  formats: Formats;
}

export function PointList({ points, index, onPick, formats }: Props) {
  const { t } = useTranslation();
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setHeight(el.clientHeight));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Keep the current point in view.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const top = index * ROW_PX;
    if (top < el.scrollTop || top + ROW_PX > el.scrollTop + el.clientHeight) {
      el.scrollTop = Math.max(0, top - el.clientHeight / 2);
      setScrollTop(el.scrollTop);
    }
  }, [index]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
  const last = Math.min(points.length, Math.ceil((scrollTop + height) / ROW_PX) + OVERSCAN);

  return (
    <div className="vlist points" ref={scroller} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
      <ol aria-label={t('history.points')} style={{ height: points.length * ROW_PX }}>
        {points.slice(first, last).map((p, i) => {
          const at = first + i;
          return (
            <li key={at} aria-setsize={points.length} aria-posinset={at + 1} style={{ top: at * ROW_PX }}>
              <button type="button" aria-current={at === index ? 'true' : undefined} onClick={() => onPick(at)}>
                <span className="ptime">{formats.dateTime(p.time)}</span>
                <span className="pmeta">
                  {t('map.speed', { speed: formats.number(p.speed_kmh) })}
                  {!p.valid && ` · ${t('history.noFix')}`}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
