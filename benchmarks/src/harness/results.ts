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
 * Writes a suite's raw results as `<dir>/<label>-<date>-<host>.json` (pretty, with a final
 * newline, so the files diff well when committed). A second run on the same day and host
 * replaces the first.
 *
 * @returns the path written.
 */
export async function writeResults(dir: string, label: string, startedAt: Date, document: Json): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${label}-${isoDate(startedAt)}-${safeHost(os.hostname())}.json`);
  await writeFile(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}
