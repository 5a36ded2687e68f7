// A counting semaphore with a bounded queue: at most `limit` tasks run at once, at most `maxWaiting` wait; one more
// is turned away at once rather than queued, so a flood cannot build a queue that the rightful user waits behind.
export class Semaphore {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    readonly limit: number,
    readonly maxWaiting: number,
  ) {
    if (!(Number.isInteger(limit) && limit >= 1)) throw new Error(`semaphore limit must be a whole number ≥ 1 (got ${limit})`);
    if (!(Number.isInteger(maxWaiting) && maxWaiting >= 0)) throw new Error(`semaphore maxWaiting must be a whole number ≥ 0 (got ${maxWaiting})`);
  }

  get active(): number {
    return this.running;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `task` when a slot is free; undefined (and `task` not run) when the queue is full already. */
  tryRun<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.running < this.limit) {
      this.running++;
      return this.execute(task);
    }
    if (this.queue.length >= this.maxWaiting) return undefined;
    // the slot is handed over by the task that ends (running stays counted), so no newcomer can jump in between
    return new Promise<void>((resolve) => this.queue.push(resolve)).then(() => this.execute(task));
  }

  private async execute<T>(task: () => Promise<T>): Promise<T> {
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.running--;
    }
  }
}
