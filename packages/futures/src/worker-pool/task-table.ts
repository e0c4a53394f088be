/**
 * The tasks a pool has seen, by number: a task's definition (a function's source, or a
 * module URL and export) crosses to a worker once, and its jobs then name it by id.
 *
 * @module
 */
import type { TaskDefinition, TaskSpec } from '../worker-entry/protocol.js';

export class TaskTable {
  /** Ids by spec object first (specs are cached per function), then by content. */
  readonly #idBySpec = new WeakMap<TaskSpec, number>();
  readonly #idByKey = new Map<string, number>();
  readonly #specs: TaskSpec[] = [];

  /** The id of `spec`, assigned on first sight. */
  id(spec: TaskSpec): number {
    let id = this.#idBySpec.get(spec);
    if (id !== undefined) return id;
    const key = spec.kind === 'source' ? `s${spec.source}` : `r${spec.name}\0${spec.module}`;
    id = this.#idByKey.get(key);
    if (id === undefined) {
      id = this.#specs.length;
      this.#specs.push(spec);
      this.#idByKey.set(key, id);
    }
    this.#idBySpec.set(spec, id);
    return id;
  }

  /** The definitions of `taskIds` that a worker which `knows` these ids has not seen yet. */
  unknownTo(knows: ReadonlySet<number>, taskIds: Iterable<number>): TaskDefinition[] {
    const definitions: TaskDefinition[] = [];
    for (const id of taskIds) {
      if (knows.has(id) || definitions.some((d) => d.id === id)) continue;
      definitions.push({ id, spec: this.#specs[id] as TaskSpec });
    }
    return definitions;
  }
}
