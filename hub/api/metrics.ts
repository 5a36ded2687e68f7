// GET /metrics in the Prometheus text format (0.0.4). Unauthenticated, for a scraper on the district's
// trusted network: it shows counts only (no ids, names or footage). Put it behind the firewall like the API.
import type { ApiContext } from './context.js';
import { wardLiveness } from './health.js';
import type { RouteTable } from './route.js';

export interface Metric {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: { labels?: Record<string, string>; value: number }[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Pure: metrics → exposition text. */
export function formatMetrics(metrics: readonly Metric[]): string {
  const out: string[] = [];
  for (const m of metrics) {
    out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = s.labels && Object.keys(s.labels).length ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      out.push(`${m.name}${labels} ${Number.isFinite(s.value) ? s.value : 0}`);
    }
  }
  return out.join('\n') + '\n';
}

export function metricsRoute(routes: RouteTable, ctx: ApiContext): void {
  const { db } = ctx.store;
  const incidents = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM incidents');
  const wardStates = db.prepare<[], { state: string | null; updated_at: number | null }>('SELECT s.state, s.updated_at FROM wards w LEFT JOIN ward_status s ON s.ward = w.id');

  routes.add(
    {
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics: ingest counters, incidents, forward backlog and dead letters, wards online (no login; trusted network)',
      tag: 'ops',
      auth: 'public',
      responses: { 200: 'text/plain; version=0.0.4' },
      produces: { 200: 'text/plain' },
    },
    async (_req, reply) => {
      const now = ctx.clock();
      const metrics: Metric[] = [];
      const counter = (name: string, help: string, value: number) => metrics.push({ name, help, type: 'counter', samples: [{ value }] });
      const gauge = (name: string, help: string, value: number) => metrics.push({ name, help, type: 'gauge', samples: [{ value }] });
      const ingest = ctx.ingestStats?.();
      if (ingest) {
        counter('wardwatch_ingest_messages_total', 'MQTT messages committed to the index since start (rate() gives messages/s)', ingest.messages);
        counter('wardwatch_ingest_batches_total', 'ingest transactions since start', ingest.batches);
        counter('wardwatch_ingest_events_total', 'event messages applied since start', ingest.events);
        counter('wardwatch_ingest_sightings_total', 'sightings stored or replaced by their final version since start', ingest.sightings);
        counter('wardwatch_ingest_count_minutes_total', 'camera-minutes of counts stored since start', ingest.countMinutes);
        counter('wardwatch_ingest_duplicates_total', 'repeated msgIds ignored since start', ingest.duplicates);
        counter('wardwatch_ingest_superseded_total', 'sightings and count minutes that arrived after a newer version of themselves since start', ingest.superseded);
        counter('wardwatch_ingest_statuses_total', 'ward and camera status messages since start', ingest.statuses);
        counter('wardwatch_ingest_clip_chunks_total', 'clip chunks written since start', ingest.chunks);
        counter('wardwatch_ingest_clips_completed_total', 'clips verified and stored since start', ingest.clipsCompleted);
        counter('wardwatch_ingest_clips_failed_total', 'clips whose hash did not match since start', ingest.clipsFailed);
        counter('wardwatch_ingest_errors_total', 'messages that failed to apply since start', ingest.errors);
        metrics.push({
          name: 'wardwatch_ingest_invalid_total',
          help: 'refused messages since start, by kind',
          type: 'counter',
          samples: Object.entries(ingest.invalid).map(([kind, value]) => ({ labels: { kind }, value })),
        });
      }
      const broker = ctx.brokerStats?.();
      if (broker) {
        gauge('wardwatch_broker_connected', 'MQTT clients connected now', broker.connected);
        counter('wardwatch_broker_logins_total', 'ward logins since start', broker.logins);
      }
      gauge('wardwatch_incidents', 'incidents in the index', incidents.get()!.n);
      const fw = ctx.forwarder.stats();
      gauge('wardwatch_forward_backlog', 'alerts waiting in the forward outbox', fw.pending);
      gauge('wardwatch_forward_dead', 'alerts the city refused for good (dead letters)', fw.dead);
      gauge('wardwatch_forward_delivered', 'alerts delivered (kept in the index)', fw.delivered);
      const states = wardStates.all().map((w) => wardLiveness(w, now));
      gauge('wardwatch_wards', 'wards configured', states.length);
      gauge('wardwatch_wards_online', 'wards whose retained status is online and current', states.filter((s) => s === 'online').length);
      return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(formatMetrics(metrics));
    },
  );
}
