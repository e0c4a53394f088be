// The chart: speedup over the sequential baseline by worker count, one panel per workload,
// one bar per executor. Hand-written SVG 1.1: no script, no external font or stylesheet, a
// white background (GitHub's dark theme would otherwise show black text on black), so it
// renders the same in a browser, in an <img> on GitHub, and through any SVG converter.

/** One executor's bars in a panel: a speedup per worker count (undefined: not measured). */
export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | undefined)[];
}

export interface ChartPanel {
  readonly title: string;
  readonly subtitle: string;
  readonly series: readonly ChartSeries[];
}

export interface ChartData {
  readonly title: string;
  readonly subtitle: string;
  /** The worker counts: the bar groups of every panel. */
  readonly workers: readonly number[];
  readonly panels: readonly ChartPanel[];
}

const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#e45756'];
const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const COLUMNS = 3;
const PANEL_W = 300;
const PANEL_H = 230;
const MARGIN = 20;
const HEADER_H = 86;
/** Inside a panel: room for its title above, the y labels left, the x labels below. */
const PLOT = { left: 44, right: 10, top: 46, bottom: 34 } as const;
/** Approximate width of one character of a bar's value label (font-size 8.5), px. */
const LABEL_CHAR_W = 5.5;

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** A round axis maximum and step with at most 5 steps, covering `max`. */
export function niceScale(max: number): { top: number; step: number } {
  const steps = [0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100, 200, 500, 1000];
  const step = steps.find((s) => max / s <= 5) ?? Math.pow(10, Math.ceil(Math.log10(max / 5)));
  return { top: Math.max(step, Math.ceil(max / step) * step), step };
}

function num(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function valueLabel(value: number): string {
  return value >= 0.1 ? `${value.toFixed(2)}×` : `${value.toPrecision(2)}×`;
}

function panel(data: ChartData, p: ChartPanel, x0: number, y0: number): string[] {
  const out: string[] = [];
  const plotW = PANEL_W - PLOT.left - PLOT.right;
  const plotH = PANEL_H - PLOT.top - PLOT.bottom;
  const left = x0 + PLOT.left;
  const bottom = y0 + PANEL_H - PLOT.bottom;
  const max = Math.max(1.2, ...p.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v))));
  const { top, step } = niceScale(max * 1.12);
  const y = (v: number): number => bottom - (Math.max(0, v) / top) * plotH;

  out.push(`<g>`);
  out.push(`<text x="${num(x0 + 4)}" y="${num(y0 + 16)}" ${FONT} font-size="12" font-weight="bold">${escapeXml(p.title)}</text>`);
  out.push(`<text x="${num(x0 + 4)}" y="${num(y0 + 32)}" ${FONT} font-size="11" fill="#555">${escapeXml(p.subtitle)}</text>`);
  // Grid and y labels.
  for (let v = 0; v <= top + 1e-9; v += step) {
    const gy = y(v);
    out.push(`<line x1="${num(left)}" y1="${num(gy)}" x2="${num(left + plotW)}" y2="${num(gy)}" stroke="#e5e5e5" stroke-width="1"/>`);
    out.push(
      `<text x="${num(left - 6)}" y="${num(gy + 4)}" ${FONT} font-size="10" fill="#555" text-anchor="end">${escapeXml(`${num(v)}×`)}</text>`,
    );
  }
  // Bars: one group per worker count, one bar per series.
  const groupW = plotW / data.workers.length;
  const barW = Math.min(26, (groupW * 0.8) / p.series.length);
  data.workers.forEach((workers, g) => {
    const groupLeft = left + g * groupW + (groupW - barW * p.series.length) / 2;
    p.series.forEach((series, s) => {
      const value = series.values[g];
      if (value === undefined || !Number.isFinite(value)) return;
      const bx = groupLeft + s * barW;
      const by = y(value);
      const color = COLORS[s % COLORS.length] ?? '#999';
      out.push(
        `<rect x="${num(bx + 1)}" y="${num(by)}" width="${num(barW - 2)}" height="${num(Math.max(0.5, bottom - by))}" fill="${color}">` +
          `<title>${escapeXml(`${series.label}, ${workers} workers: ${valueLabel(value)}`)}</title></rect>`,
      );
      // Labels wider than their bar (narrow bars, long small values) would overlap their
      // neighbours': lift every other one a line higher.
      const text = valueLabel(value);
      const lift = text.length * LABEL_CHAR_W > barW && s % 2 === 1 ? 10 : 0;
      out.push(
        `<text x="${num(bx + barW / 2)}" y="${num(by - 3 - lift)}" ${FONT} font-size="8.5" fill="#333" text-anchor="middle">${escapeXml(text)}</text>`,
      );
    });
    out.push(
      `<text x="${num(left + g * groupW + groupW / 2)}" y="${num(bottom + 15)}" ${FONT} font-size="11" text-anchor="middle">${workers}</text>`,
    );
  });
  // The sequential baseline, 1×.
  out.push(
    `<line x1="${num(left)}" y1="${num(y(1))}" x2="${num(left + plotW)}" y2="${num(y(1))}" stroke="#222" stroke-width="1" stroke-dasharray="4 3"/>`,
  );
  out.push(`<line x1="${num(left)}" y1="${num(bottom)}" x2="${num(left + plotW)}" y2="${num(bottom)}" stroke="#222" stroke-width="1"/>`);
  out.push(
    `<text x="${num(left + plotW / 2)}" y="${num(bottom + 29)}" ${FONT} font-size="10" fill="#555" text-anchor="middle">workers</text>`,
  );
  out.push(`</g>`);
  return out;
}

/** The whole chart, as an SVG document (with an XML declaration, UTF-8). */
export function renderChart(data: ChartData): string {
  const rows = Math.max(1, Math.ceil(data.panels.length / COLUMNS));
  const width = MARGIN * 2 + COLUMNS * PANEL_W + (COLUMNS - 1) * MARGIN;
  const height = HEADER_H + rows * PANEL_H + (rows - 1) * MARGIN + MARGIN;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(data.title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN}" y="28" ${FONT} font-size="17" font-weight="bold">${escapeXml(data.title)}</text>`,
    `<text x="${MARGIN}" y="48" ${FONT} font-size="11" fill="#555">${escapeXml(data.subtitle)}</text>`,
  ];
  // Legend: the series of the first panel (every panel has the same executors).
  let lx = MARGIN;
  (data.panels[0]?.series ?? []).forEach((series, s) => {
    out.push(`<rect x="${lx}" y="61" width="12" height="12" fill="${COLORS[s % COLORS.length] ?? '#999'}"/>`);
    out.push(`<text x="${lx + 17}" y="71" ${FONT} font-size="12">${escapeXml(series.label)}</text>`);
    lx += 30 + series.label.length * 7;
  });
  out.push(`<line x1="${lx}" y1="67" x2="${lx + 22}" y2="67" stroke="#222" stroke-width="1" stroke-dasharray="4 3"/>`);
  out.push(`<text x="${lx + 27}" y="71" ${FONT} font-size="12">1× = sequential, in-process</text>`);
  data.panels.forEach((p, i) => {
    const x0 = MARGIN + (i % COLUMNS) * (PANEL_W + MARGIN);
    const y0 = HEADER_H + Math.floor(i / COLUMNS) * (PANEL_H + MARGIN);
    out.push(...panel(data, p, x0, y0));
  });
  out.push('</svg>', '');
  return out.join('\n');
}
