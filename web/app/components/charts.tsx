// Charts as visx draws them (React SVG: the server renders them and the browser hydrates the same markup;
// ADR 0026). Each chart is a figure whose picture is one image to assistive technology (its summary as
// its name) and whose numbers are also a table under "Numbers": the same values, for whoever cannot see
// the bars, and what the browser tests read.
import { AxisBottom, AxisLeft } from '@visx/axis';
import { Group } from '@visx/group';
import { scaleBand, scaleLinear } from '@visx/scale';
import { BarGroupHorizontal, BarStack } from '@visx/shape';
import type { ReactNode } from 'react';
import { TableHead } from './table.tsx';

export interface Series<K extends string> {
  key: K;
  label: string;
  color: string;
}

const WIDTH = 480;
const TICK_LABEL = { fill: '#1b1f24', fontSize: 11 } as const;

/** A chart's frame: title, the picture (one image named by `summary`), its legend, and its numbers as a table. */
function Figure(props: { title: string; testId: string; summary: string; legend?: Series<string>[]; picture: ReactNode; table: ReactNode }) {
  return (
    <figure className="card chart" data-testid={props.testId}>
      <figcaption>
        <h3>{props.title}</h3>
      </figcaption>
      {/* The SVG's own parts (axis labels, nested <svg>s) are hidden: the image is the summary, the table the numbers. */}
      <div role="img" aria-label={props.summary}>
        <div aria-hidden="true">{props.picture}</div>
      </div>
      {props.legend && (
        <ul className="legend" aria-hidden="true">
          {props.legend.map((s) => (
            <li key={s.key}>
              <span className="swatch" style={{ background: s.color }} />
              {s.label}
            </li>
          ))}
        </ul>
      )}
      <details>
        <summary>Numbers</summary>
        {props.table}
      </details>
    </figure>
  );
}

interface NumbersRow {
  category: string;
  label: string;
  cells: [string, ReactNode][];
}

/** A chart's numbers: a row a category (its label as the row's header), a cell a series, each cell marked with its series for tests. */
function NumbersTable({ categoryLabel, columns, rows }: { categoryLabel: string; columns: string[]; rows: NumbersRow[] }) {
  return (
    <table>
      <TableHead columns={[categoryLabel, ...columns]} />
      <tbody>
        {rows.map((r) => (
          <tr key={r.category} data-category={r.category}>
            <th scope="row">{r.label}</th>
            {r.cells.map(([series, value]) => (
              <td key={series} data-series={series}>
                {value}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Vertical bars, one a category, stacked by series (one series: a plain bar chart or a histogram). The
 * table has a row a category and a column a series.
 */
export function StackedBars<K extends string>(props: {
  title: string;
  testId: string;
  summary: string;
  categoryLabel: string;
  data: { category: string; label: string; values: Record<K, number> }[];
  series: Series<K>[];
  height?: number;
}) {
  const height = props.height ?? 200;
  const margin = { top: 10, right: 10, bottom: 30, left: 36 };
  const innerWidth = WIDTH - margin.left - margin.right;
  const innerHeight = height - margin.top - margin.bottom;
  const keys = props.series.map((s) => s.key);
  const rows = props.data.map((d) => ({ category: d.category, ...d.values }));
  const total = Math.max(1, ...props.data.map((d) => keys.reduce((sum, k) => sum + d.values[k], 0)));
  const x = scaleBand<string>({ domain: props.data.map((d) => d.category), range: [0, innerWidth], padding: 0.25 });
  const y = scaleLinear<number>({ domain: [0, total], range: [innerHeight, 0], nice: true });
  const color = (key: K) => props.series.find((s) => s.key === key)!.color;
  const labelOf = new Map(props.data.map((d) => [d.category, d.label]));
  return (
    <Figure
      title={props.title}
      testId={props.testId}
      summary={props.summary}
      legend={props.series.length > 1 ? props.series : undefined}
      picture={
        <svg width={WIDTH} height={height} viewBox={`0 0 ${WIDTH} ${height}`}>
          <Group left={margin.left} top={margin.top}>
            <BarStack<(typeof rows)[number], K> data={rows} keys={keys} x={(d) => d.category} xScale={x} yScale={y} color={color} />
            <AxisLeft scale={y} numTicks={Math.min(5, total)} tickFormat={(v) => String(v)} tickLabelProps={TICK_LABEL} />
            <AxisBottom top={innerHeight} scale={x} tickFormat={(c) => labelOf.get(c) ?? c} tickLabelProps={TICK_LABEL} />
          </Group>
        </svg>
      }
      table={
        <NumbersTable
          categoryLabel={props.categoryLabel}
          columns={props.series.map((s) => s.label)}
          rows={props.data.map((d) => ({ category: d.category, label: d.label, cells: keys.map((k) => [k, d.values[k]]) }))}
        />
      }
    />
  );
}

/**
 * Horizontal bars in groups, one group a category (its label on the left), one bar a series (median and
 * p95 side by side). The table has a row a category, a column a series, and any `extra` columns.
 */
export function GroupedBars<K extends string>(props: {
  title: string;
  testId: string;
  summary: string;
  categoryLabel: string;
  data: { category: string; label: string; values: Record<K, number>; extra?: Record<string, ReactNode> }[];
  series: Series<K>[];
  extraColumns?: string[];
  valueFormat: (v: number) => string;
}) {
  const margin = { top: 10, right: 16, bottom: 30, left: 150 };
  const innerWidth = WIDTH - margin.left - margin.right;
  const innerHeight = Math.max(40, props.data.length * 36);
  const height = innerHeight + margin.top + margin.bottom;
  const keys = props.series.map((s) => s.key);
  const extra = props.extraColumns ?? [];
  const rows = props.data.map((d) => ({ category: d.category, ...d.values }));
  const max = Math.max(1, ...props.data.flatMap((d) => keys.map((k) => d.values[k])));
  const y0 = scaleBand<string>({ domain: props.data.map((d) => d.category), range: [0, innerHeight], padding: 0.2 });
  const y1 = scaleBand<K>({ domain: keys, range: [0, y0.bandwidth()], padding: 0.1 });
  const x = scaleLinear<number>({ domain: [0, max], range: [0, innerWidth], nice: true });
  const color = (key: K) => props.series.find((s) => s.key === key)!.color;
  const labelOf = new Map(props.data.map((d) => [d.category, d.label.length > 24 ? `${d.label.slice(0, 23)}…` : d.label]));
  return (
    <Figure
      title={props.title}
      testId={props.testId}
      summary={props.summary}
      legend={props.series}
      picture={
        <svg width={WIDTH} height={height} viewBox={`0 0 ${WIDTH} ${height}`}>
          <Group left={margin.left} top={margin.top}>
            <BarGroupHorizontal<(typeof rows)[number], K> data={rows} keys={keys} width={innerWidth} y0={(d) => d.category} y0Scale={y0} y1Scale={y1} xScale={x} color={color} />
            <AxisLeft scale={y0} tickFormat={(c) => labelOf.get(c) ?? c} tickLabelProps={TICK_LABEL} />
            <AxisBottom top={innerHeight} scale={x} numTicks={4} tickFormat={(v) => props.valueFormat(Number(v))} tickLabelProps={TICK_LABEL} />
          </Group>
        </svg>
      }
      table={
        <NumbersTable
          categoryLabel={props.categoryLabel}
          columns={[...props.series.map((s) => s.label), ...extra]}
          rows={props.data.map((d) => ({
            category: d.category,
            label: d.label,
            cells: [...keys.map((k): [string, ReactNode] => [k, d.values[k]]), ...extra.map((c): [string, ReactNode] => [c, d.extra?.[c]])],
          }))}
        />
      }
    />
  );
}
