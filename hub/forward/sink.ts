// What a forward target is to the worker: something that takes a signed alert and says how it went.
import type { Outcome } from './outcome.js';

export interface Sink {
  /** One attempt. Never throws: a failure is an Outcome. `signal` aborts it when the forwarder closes. */
  deliver(key: string, body: string, signal: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}
