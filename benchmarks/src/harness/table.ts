import type { Row } from './types.js';

const HEADERS: Row = { what: 'what', ours: 'ours', baseline: 'baseline', ratio: 'ratio', target: 'target', verdict: 'info' };
const COLUMNS = ['what', 'ours', 'baseline', 'ratio', 'target', 'verdict'] as const;

/** Renders rows as a plain-text table with a header line; one string, no trailing newline. */
export function renderTable(rows: readonly Row[]): string {
  const cells = (row: Row, header = false): string[] =>
    COLUMNS.map((column) => (header && column === 'verdict' ? 'verdict' : row[column]));
  const lines = [cells(HEADERS, true), ...rows.map((row) => cells(row))];
  // String length counts UTF-16 units; every character used here (µ, ×, →) is one unit wide.
  const widths = COLUMNS.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length)));
  const render = (line: string[]): string =>
    line
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const [header, ...body] = lines;
  return [render(header ?? []), rule, ...body.map(render)].join('\n');
}

/** Word-wraps `text` at `width` columns; continuation lines start with `indent`. */
export function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

/** Column alignment of {@link renderGrid}. */
export type Align = 'left' | 'right';

/**
 * Renders a plain-text table of any columns: a header line, a rule, the rows; one string, no
 * trailing newline. Right-aligned columns suit numbers.
 */
export function renderGrid(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const lines = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length)));
  const render = (line: readonly string[]): string =>
    widths
      .map((width, i) => {
        const cell = line[i] ?? '';
        return align[i] === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [render(headers), rule, ...rows.map(render)].join('\n');
}

/** Renders a GitHub-flavoured markdown table (pipes in cells escaped). */
export function renderMarkdownTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const line = (cells: readonly string[]): string => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (align[i] === 'right' ? '---:' : '---')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
