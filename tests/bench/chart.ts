// A benchmark's curve as an SVG file: lines of a measure against scale (a log axis), with a target line,
// drawn by visx and rendered to static markup on the server. Plain createElement, because the bench
// scripts run as TypeScript that Node strips of types, which has no JSX.
import { AxisBottom, AxisLeft } from '@visx/axis';
import { Group } from '@visx/group';
import { scaleLinear, scaleLog } from '@visx/scale';
import { Line, LinePath } from '@visx/shape';
import { createElement as h } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';

export interface Series {
  label: string;
  color: string;
  /** SVG stroke-dasharray; solid when absent. */
  dash?: string;
  points: [x: number, y: number][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  target?: { y: number; label: string };
}

/** The powers of ten from `min` to `max`: a log axis's ticks (visx would label every minor step). */
const decades = (min: number, max: number) => {
  const out: number[] = [];
  for (let d = 10 ** Math.ceil(Math.log10(min)); d <= max; d *= 10) out.push(d);
  return out;
};

const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { top: 48, right: 230, bottom: 56, left: 64 };

export function lineChartSvg(spec: ChartSpec): string {
  const innerWidth = WIDTH - MARGIN.left - MARGIN.right;
  const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const xs = spec.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = spec.series.flatMap((s) => s.points.map(([, y]) => y));
  const x = scaleLog({ domain: [Math.min(...xs), Math.max(...xs)], range: [0, innerWidth] });
  const y = scaleLinear({ domain: [0, Math.max(...ys, spec.target?.y ?? 0) * 1.1], range: [innerHeight, 0], nice: true });
  const text = { fontFamily: 'sans-serif', fontSize: 12, fill: '#222' };
  const legend = spec.series.map((s, i) =>
    h(
      Group,
      { key: s.label, top: i * 20, left: innerWidth + 20 },
      h(Line, { from: { x: 0, y: 0 }, to: { x: 24, y: 0 }, stroke: s.color, strokeWidth: 2, strokeDasharray: s.dash }),
      h('text', { ...text, x: 30, y: 4 }, s.label),
    ),
  );
  const target =
    spec.target &&
    h(
      Group,
      null,
      h(Line, { from: { x: 0, y: y(spec.target.y) }, to: { x: innerWidth, y: y(spec.target.y) }, stroke: '#c00', strokeWidth: 1, strokeDasharray: '2 3' }),
      h('text', { ...text, fill: '#c00', x: innerWidth - 4, y: y(spec.target.y) - 6, textAnchor: 'end' }, spec.target.label),
    );
  const svg = h(
    'svg',
    { xmlns: 'http://www.w3.org/2000/svg', width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': spec.title },
    h('rect', { width: WIDTH, height: HEIGHT, fill: '#fff' }),
    h('text', { ...text, fontSize: 15, x: MARGIN.left, y: 24 }, spec.title),
    h(
      Group,
      { left: MARGIN.left, top: MARGIN.top },
      target,
      ...spec.series.map((s) =>
        h(LinePath, {
          key: s.label,
          data: s.points,
          x: (d: unknown) => x((d as [number, number])[0]),
          y: (d: unknown) => y((d as [number, number])[1]),
          stroke: s.color,
          strokeWidth: 2,
          strokeDasharray: s.dash,
        }),
      ),
      // Each measured point marked: a curve of a few steps shows where its measurements are (and one alone shows at all).
      ...spec.series.flatMap((s) => s.points.map(([px, py]) => h('circle', { key: `${s.label}-${px}`, cx: x(px), cy: y(py), r: 3, fill: s.color }))),
      h(AxisLeft, { scale: y, label: spec.yLabel, numTicks: 6 }),
      h(AxisBottom, {
        scale: x,
        top: innerHeight,
        label: spec.xLabel,
        tickValues: decades(Math.min(...xs), Math.max(...xs)),
        tickFormat: (v) => Number(v).toLocaleString('en-US'),
      }),
      ...legend,
    ),
  );
  return `<?xml version="1.0" encoding="UTF-8"?>\n${renderToStaticMarkup(svg)}\n`;
}
