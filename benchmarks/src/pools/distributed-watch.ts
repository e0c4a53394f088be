// Preloaded (`node --import`) into every worker process the distributed case starts, the
// concurrent-worker command included: the probe that started the worker talks to it over an
// IPC channel, and when that channel closes (the probe ended, even by SIGKILL) the worker
// exits at once. Without it a BullMQ worker whose Redis went away retries for good.
process.on('disconnect', () => process.exit(1));
