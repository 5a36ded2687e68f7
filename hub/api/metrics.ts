// GET /metrics in the Prometheus text format (0.0.4). Unauthenticated, for a scraper on the district's
// trusted network: it shows counts only (no ids, names or footage). Put it behind the firewall like the API.
import type { ApiContext } from './context.js';
import { wardLiveness } from './health.js';
import { joinLeftFirst } from '../store/planner-hints.js';
import type { RouteTable } from '../../shared/http/index.js';

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
  const { sql } = ctx.store;
  const boxStates = 'SELECT w.id AS ward, s.state, s.updated_at FROM wards w LEFT JOIN boxes b ON b.ward = w.id LEFT JOIN box_status s ON s.box_id = b.id';
  // the traffic indicators (hub/indicators/): each camera's rollup of one quarter is one range of its key
  const quarterTraffic = `SELECT c.ward, c.label, c.direction, sum(c.n) AS n FROM cameras k ${joinLeftFirst(sql.dialect)} count_quarters c ON c.ward = k.ward AND c.camera = k.camera
    WHERE c.quarter = ? GROUP BY c.ward, c.label, c.direction ORDER BY 1, 2, 3`;

  routes.add(
    {
      method: 'GET',
      url: '/metrics',
      summary: 'Prometheus metrics: ingest counters, login throttling, incidents, forward backlog and dead letters, wards online (no login; trusted network)',
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
        metrics.push({
          name: 'wardwatch_broker_refusals_total',
          help: 'what the broker refused or corrected since start, by kind (packetSize, loginTimeout, loginsPerAddress, retain, subscribe, …)',
          type: 'counter',
          samples: Object.entries(broker.refusals).map(([kind, value]) => ({ labels: { kind }, value })),
        });
      }
      const logins = ctx.loginStats?.();
      if (logins) {
        const byLabel = (name: string, help: string, label: string, values: Record<string, number>) =>
          metrics.push({ name, help, type: 'counter', samples: Object.entries(values).map(([k, value]) => ({ labels: { [label]: k }, value })) });
        byLabel('wardwatch_login_checks_total', 'password and token checks run (one scrypt each) since start, by realm', 'realm', logins.checks);
        byLabel('wardwatch_login_failures_total', 'checks that failed since start, by realm', 'realm', logins.failures);
        byLabel('wardwatch_login_refused_total', 'logins refused without a check since start: pair (name locked for that address), address (address refused for a while), busy', 'reason', logins.refused);
        counter('wardwatch_login_delayed_total', 'logins that waited before their check (progressive delay) since start', logins.delayed);
        counter('wardwatch_login_delay_seconds_total', 'time those logins waited, in all', logins.delayMs / 1000);
        counter('wardwatch_login_pair_locks_total', 'names locked for one address after 5 failures in 30 s, since start', logins.pairLocks);
        counter('wardwatch_login_address_blocks_total', 'addresses refused for a while after repeated failures, since start', logins.addressBlocks);
        counter('wardwatch_login_bursts_total', 'bursts of failed logins from an address that ended (one log line each) since start', logins.bursts);
        gauge('wardwatch_login_checks_running', 'password checks running now', logins.checksRunning);
        gauge('wardwatch_login_checks_waiting', 'password checks waiting for a turn now', logins.checksWaiting);
        gauge('wardwatch_login_addresses_blocked', 'addresses refused now', logins.addressesBlocked);
        gauge('wardwatch_login_pairs_locked', '(name, address) pairs locked now', logins.pairsLocked);
      }
      gauge('wardwatch_incidents', 'incidents in the index', (await sql.get<{ n: number }>('SELECT count(*) AS n FROM incidents'))!.n);
      metrics.push({
        name: 'wardwatch_traffic_last_quarter',
        help: 'objects that crossed the counting lines in the last complete 15 minutes, by ward, label and direction (boxes offline then send it later: a late quarter grows)',
        type: 'gauge',
        samples: (await sql.all<{ ward: string; label: string; direction: string; n: number }>(quarterTraffic, [Math.floor(now / 900_000) * 900_000 - 900_000])).map((r) => ({ labels: { ward: r.ward, label: r.label, direction: r.direction }, value: r.n })),
      });
      const fw = await ctx.forwarder.stats();
      gauge('wardwatch_forward_backlog', 'alerts waiting in the forward outbox', fw.pending);
      gauge('wardwatch_forward_dead', 'alerts the city refused for good (dead letters)', fw.dead);
      gauge('wardwatch_forward_delivered', 'alerts delivered (kept in the index)', fw.delivered);
      const boxes = (await sql.all<{ ward: string; state: string | null; updated_at: number | null }>(boxStates)).map((b) => ({ ward: b.ward, state: wardLiveness(b, now) }));
      const wards = new Set(boxes.map((b) => b.ward));
      gauge('wardwatch_wards', 'wards configured', wards.size);
      gauge('wardwatch_wards_online', 'wards whose every box\'s retained status is online and current', [...wards].filter((w) => boxes.every((b) => b.ward !== w || b.state === 'online')).length);
      gauge('wardwatch_boxes', 'boxes configured', boxes.length);
      gauge('wardwatch_boxes_online', 'boxes whose retained status is online and current', boxes.filter((b) => b.state === 'online').length);
      return reply.header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(formatMetrics(metrics));
    },
  );
}
