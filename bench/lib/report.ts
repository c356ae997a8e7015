import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

/** One figure of the bench: a markdown table with what it measured and how. */
export interface Table {
  /** File name under bench/results/, without extension. */
  id: string;
  title: string;
  /** How it was measured and what the target is, printed under the title. */
  notes: string[];
  headers: string[];
  rows: (string | number)[][];
}

/** A section of the bench: measures one figure (or a few) and returns its tables. */
export type Section = () => Promise<Table[]>;

export const RESULTS_DIR = resolve(import.meta.dirname, '../results');

/** The machine a run was measured on, so figures are never read without it. */
export function machine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** Renders a table as GitHub markdown. */
export function markdown(table: Table): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  const numeric = table.rows[0]?.map((cell) => typeof cell === 'number') ?? [];
  const rule = table.headers.map((_, i) => (numeric[i] ? '---:' : '---'));
  return [
    `## ${table.title}`,
    '',
    ...table.notes.map((note) => `> ${note}`),
    ...(table.notes.length ? [''] : []),
    line(table.headers),
    line(rule),
    ...table.rows.map((row) => line(row.map(cell))),
    '',
  ].join('\n');
}

function cell(value: string | number): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return '–';
  return Number.isInteger(value)
    ? value.toLocaleString('en-US')
    : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** Prints a table and writes it to bench/results/<id>.md with the run's date and machine. */
export function publish(table: Table, startedAt: Date): string {
  const text = markdown(table);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const header = `<!-- written by \`npm run bench\` on ${startedAt.toISOString()}; ${machine()} -->\n\n`;
  writeFileSync(join(RESULTS_DIR, `${table.id}.md`), header + text);
  return text;
}

/** Formats bytes as KB with one decimal, the unit SDK sizes are quoted in. */
export function kb(bytes: number): string {
  return (bytes / 1024).toFixed(1);
}
