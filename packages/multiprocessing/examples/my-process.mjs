import { Process } from '@concurrent/multiprocessing';

// A child imports this module to find the class: it must be exported.
export class MyProcess extends Process {
  constructor(results, n) {
    super();
    this.results = results;
    this.n = n;
    this.parentPid = process.pid;
  }

  async run() {
    const where = process.pid === this.parentPid ? 'the parent' : 'a child';
    await this.results.put(`MyProcess ${this.n}: run() in ${where}`);
  }
}
