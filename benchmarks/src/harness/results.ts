import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Json } from './types.js';

/** `2026-11-23` (UTC), the date part of a results file name. */
function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A host name safe in a file name on every platform. */
function safeHost(host: string): string {
  return host.replace(/[^A-Za-z0-9.-]+/g, '-') || 'unknown-host';
}

/**
 * The path, without extension, of a results file: `<dir>/<label>-<date>-<host>`, or
 * `<dir>/<date>-<host>` for an empty label (the main benchmark's full run).
 */
export function resultsStem(dir: string, label: string, startedAt: Date): string {
  const name = `${isoDate(startedAt)}-${safeHost(os.hostname())}`;
  return path.join(dir, label === '' ? name : `${label}-${name}`);
}

/**
 * Writes a suite's raw results as `<dir>/<label>-<date>-<host>.json` (pretty, with a final
 * newline, so the files diff well when committed). A second run on the same day and host
 * replaces the first.
 *
 * @returns the path written.
 */
export async function writeResults(dir: string, label: string, startedAt: Date, document: Json): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = `${resultsStem(dir, label, startedAt)}.json`;
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}
