// Horizontal bars drawn as SVG (no chart library: a few rectangles and labels weigh nothing). The
// chart repeats what the table says, so it is one image with a label, and each bar carries its
// value in words for those who hover; the table stays the accessible source.
import { useId } from 'react';

export interface Bar {
  label: string;
  value: number;
}

const ROW = 22;
const LABEL_W = 160;
const WIDTH = 640;
const VALUE_W = 80;

export function BarChart({ title, bars, format, max }: { title: string; bars: Bar[]; format: (v: number) => string; max?: number }) {
  const id = useId();
  if (bars.length === 0) return null;
  const top = max ?? Math.max(...bars.map((b) => b.value), 0);
  const scale = top > 0 ? (WIDTH - LABEL_W - VALUE_W) / top : 0;
  const height = bars.length * ROW + 4;
  return (
    <figure className="chart">
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        height={height}
        role="img"
        aria-labelledby={`${id}-title`}
        preserveAspectRatio="xMinYMin meet"
      >
        {bars.map((b, i) => {
          const y = i * ROW + 2;
          const w = Math.max(0, b.value * scale);
          return (
            <g key={`${b.label}-${i}`}>
              <title>{`${b.label}: ${format(b.value)}`}</title>
              <text x={LABEL_W - 6} y={y + ROW / 2 + 4} textAnchor="end" className="chart-label">
                {b.label.length > 24 ? `${b.label.slice(0, 23)}…` : b.label}
              </text>
              <rect x={LABEL_W} y={y + 3} width={w} height={ROW - 6} className="chart-bar" rx="2" />
              <text x={LABEL_W + w + 6} y={y + ROW / 2 + 4} className="chart-value">
                {format(b.value)}
              </text>
            </g>
          );
        })}
      </svg>
    </figure>
  );
}
