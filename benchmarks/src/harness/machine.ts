import os from 'node:os';

/** The machine a run happened on, for the results file and the report header. */
export type Machine = {
  host: string;
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpuModel: string;
  availableParallelism: number;
  totalMemoryBytes: number;
  /** 1-, 5- and 15-minute load averages when the run started: other work skews timings. */
  loadAverage: number[];
};

/** Describes this machine. */
export function describeMachine(): Machine {
  return {
    host: os.hostname(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${os.release()}`,
    arch: process.arch,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    availableParallelism: os.availableParallelism(),
    totalMemoryBytes: os.totalmem(),
    loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}
