// The last words of an ffmpeg: a bounded tail of what it said on stderr, for the log line and the reason it stopped.
export class StderrTail {
  private text = '';

  constructor(readonly maxChars: number) {}

  /** Adds one line (blank lines are not words). */
  push(line: string): void {
    if (!line.trim()) return;
    this.text = (this.text + line + '\n').slice(-this.maxChars);
  }

  /** Everything kept, oldest first. */
  get all(): string {
    return this.text;
  }

  /** The last line kept, trimmed; '' when it said nothing. */
  get lastLine(): string {
    return this.text.trim().split('\n').slice(-1)[0] ?? '';
  }
}
