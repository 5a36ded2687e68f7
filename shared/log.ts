// Logging: pino JSON lines (pretty on a TTY), with credentials in URLs always redacted.
import pino, { type Logger } from 'pino';

export type { Logger };

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^/@\s:]+)(?::[^/@\s]*)?@/gi;

/** `rtsp://admin:secret@10.0.0.5/…` → `rtsp://admin:***@10.0.0.5/…`; used for every string we log. */
export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1$2:***@');
}

function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, depth + 1);
  return out;
}

export interface LogOptions {
  name: string;
  level?: string | undefined;
  /** pretty output; defaults to stdout being a TTY */
  pretty?: boolean | undefined;
  /** write somewhere else than stdout (tests) */
  destination?: pino.DestinationStream | undefined;
}

export function createLogger(options: LogOptions): Logger {
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const base: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? process.env.WARDWATCH_LOG_LEVEL ?? 'info',
    // Secrets never reach a log line: known secret fields are censored, URLs are redacted.
    redact: { paths: ['password', 'token', '*.password', '*.token', 'secret', '*.secret'], censor: '***' },
    formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactUrl(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  if (options.destination) return pino(base, options.destination);
  if (pretty) return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  return pino(base);
}

/** A logger that drops everything: for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
