#!/usr/bin/env python3
"""Generate the training scenarios in ``assets/scenarios/`` (docs/TRAINING.md).

- ``noisy-storm/scenario.yaml``: a night-time alert storm — flapping disks, chronic batch and
  certificate alerts, a maxed-out autoscaler, silenced staging alerts with the same names as the
  real ones — and inside it one real cascade: a nightly reindex with a new nested-facet mapping
  fills the OpenSearch heap, the circuit breakers trip, search-api returns 5xx, the gateway's
  /search route and recommendations follow. The responders stop the reindex.
- ``novel-clock-step/scenario.yaml``: a failure no runbook covers. A new internal NTP source
  makes chrony step the clock of three ledger nodes back by 47 s; the ledger's hybrid logical
  clock rejects writes and settlement sees out-of-order batches. Nothing in the knowledge
  matches: the cluster must come out "human judgment", and the responders fix it by hand.

Deterministic (fixed seeds, no clock): rerun and the files are byte-for-byte identical.

    python3 assets/scenarios/gen_scenarios.py          # writes both scenario files
    python3 assets/scenarios/gen_scenarios.py --check  # exit 1 if a file on disk differs

The replays are checked by ``tests/training_scenarios.rs`` against
``tests/fixtures/training/expected/*.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIN, HOUR, DAY = 60, 3600, 86400


def offset(seconds: int) -> str:
    """Seconds as a scenario duration: -31d, 1h30m, 45s, 0s."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    out = ""
    for unit, n in (("d", DAY), ("h", HOUR), ("m", MIN), ("s", 1)):
        if s >= n:
            out += f"{s // n}{unit}"
            s %= n
    return sign + out


def scalar(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


def flow(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v)}" for k, v in d.items()) + "}"


class Timeline:
    def __init__(self):
        self.events = []  # (at, order, lines)
        self.n = 0

    def _add(self, at, lines):
        self.events.append((at, self.n, lines))
        self.n += 1

    def fire(self, at, labels, annotations, silenced=False):
        lines = ["    fire:", f"      labels: {flow(labels)}", f"      annotations: {flow(annotations)}"]
        if silenced:
            lines.append("      silenced: true")
        self._add(at, lines)

    def resolve(self, at, labels):
        self._add(at, ["    resolve:", f"      labels: {flow(labels)}"])

    def decide(self, at, actor, role, kind, text=None, step=None, outcome=None):
        lines = ["    decision:", f"      actor: {actor}", f"      role: {role}", f"      kind: {kind}"]
        if text is not None:
            lines.append(f"      text: {scalar(text)}")
        if step is not None:
            lines.append(f"      step: {step}")
        if outcome is not None:
            lines.append(f"      outcome: {scalar(outcome)}")
        self._add(at, lines)

    def render(self, start: datetime) -> list[str]:
        out = []
        for at, _, lines in sorted(self.events, key=lambda e: (e[0], e[1])):
            clock = (start + timedelta(seconds=at)).strftime("%H:%M:%S")
            out.append(f"  - at: {offset(at)}  # {clock}")
            out.extend(lines)
        return out


def ramp(points, t_min: float) -> float:
    if t_min <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if t_min <= x1:
            return y0 + (y1 - y0) * (t_min - x0) / (x1 - x0)
    return points[-1][1]


def samples(name, rps, baseline, incident, duration, seed, history_blips=()):
    """Cumulative (at, good, total): hourly -31d..-6h, 5-minutely to 0, every 30 s after."""
    rng = random.Random(seed)
    times = (list(range(-31 * DAY, -6 * HOUR, HOUR)) + list(range(-6 * HOUR, 0, 5 * MIN))
             + list(range(0, duration + 1, 30)))
    step = 30
    total = bad = 0.0
    out = []
    t = times[0]
    noise, noise_hour = (0.0, 0.0), None
    for at in times:
        while t < at:
            hour = t // HOUR
            if hour != noise_hour:
                noise, noise_hour = (rng.uniform(-1, 1), rng.uniform(-1, 1)), hour
            diurnal = 0.75 + 0.25 * math.sin((t % DAY) / DAY * 2 * math.pi - 1.2)
            r_total = rps * diurnal * (1 + 0.03 * noise[0])
            ratio = baseline * (1 + 0.3 * noise[1])
            for (b0, b1, extra) in history_blips:
                if b0 <= t < b1:
                    ratio += extra
            ratio += ramp(incident, t / MIN) * (1 + 0.05 * math.sin(t / 89))
            total += r_total * step
            bad += r_total * step * min(ratio, 1.0)
            t += step
        c_total = round(total)
        c_bad = round(bad)
        out.append((at, c_total - c_bad, c_total))
    return out


def render(meta: dict, slos: list, series: dict, tl: Timeline) -> str:
    start = meta["start_dt"]
    out = [f"# {meta['header']}",
           "# GENERATED by assets/scenarios/gen_scenarios.py: edit the generator, then rerun it.",
           "# Format: docs/FORMATS.md; how it is used: docs/TRAINING.md.",
           "version: 1",
           f"id: {meta['id']}",
           f"title: {scalar(meta['title'])}",
           "summary: |"]
    out += ["  " + line for line in meta["summary"].strip().splitlines()]
    out += [f"start: {start.strftime('%Y-%m-%dT%H:%M:%SZ')}",
            f"duration: {offset(meta['duration'])}",
            f"knowledge: [{', '.join(meta['knowledge'])}]",
            "group_by: [namespace, service]",
            "topology:"]
    for svc, deps in meta["topology"].items():
        out.append(f"  {svc}: [{', '.join(deps)}]")
    out.append("")
    out.append("slos:")
    for s in slos:
        out.append(f"  - {flow(s)}")
    out.append("")
    out.append("samples:")
    for name, pts in series.items():
        for at, good, total in pts:
            out.append(f"  - {{at: {offset(at)}, slo: {name}, good: {good}, total: {total}}}")
    out.append("")
    out.append("timeline:")
    out += tl.render(start)
    return "\n".join(out) + "\n"


# =============================================================================================
# (a) noisy storm with one real incident
# =============================================================================================

def noisy_storm() -> str:
    start = datetime(2026, 5, 7, 2, 10, tzinfo=timezone.utc)
    duration = 70 * MIN
    tl = Timeline()
    rng = random.Random("noisy-storm")
    prod = "prod-us-2"
    rb = "https://runbooks.internal.example"

    def L(alertname, severity, namespace, service, **extra):
        d = {"alertname": alertname, "severity": severity, "cluster": prod,
             "namespace": namespace, "service": service}
        d.update(extra)
        return d

    # --- noise 1: three node disks flapping all night (fire ~3 min, quiet ~2-3 min) ---------
    for i, (node, ip) in enumerate([("ip-10-60-1-12", "10.60.1.12"), ("ip-10-60-4-31", "10.60.4.31"),
                                     ("ip-10-60-7-9", "10.60.7.9")]):
        labels = L("NodeFilesystemSpaceFillingUp", "warning", "monitoring", "node-exporter",
                   instance=f"{ip}:9100", node=f"{node}.us-east-2.compute.internal",
                   device="/dev/nvme1n1", mountpoint="/var/lib/containerd", fstype="xfs")
        ann = {"summary": "Filesystem is predicted to run out of space within the next 24 hours.",
               "description": f"Filesystem on /dev/nvme1n1 at {ip}:9100 has only 14% available space left and is filling up.",
               "runbook_url": f"{rb}/node-filesystem-space.md"}
        t = -65 * MIN + i * 70
        while t < duration - 4 * MIN:
            tl.fire(t, labels, ann)
            up = rng.randint(150, 200)
            tl.resolve(t + up, labels)
            t += up + rng.randint(120, 170)

    # --- noise 2: an autoscaler pinned at max for the image resizer, flapping -----------------
    hpa = L("KubeHpaMaxedOut", "warning", "batch", "image-resizer", horizontalpodautoscaler="image-resizer")
    hpa_ann = {"summary": "HPA is running at max replicas",
               "description": "HPA batch/image-resizer has been running at max replicas (24) for longer than 15 minutes."}
    t = -58 * MIN
    while t < duration - 5 * MIN:
        tl.fire(t, hpa, hpa_ann)
        tl.resolve(t + rng.randint(200, 260), hpa)
        t += rng.randint(380, 460)

    # --- noise 3: chronic alerts that have fired for most of the last day ----------------------
    chronic = [
        (L("KubeJobFailed", "warning", "batch", "nightly-report", job_name="nightly-report-29071"),
         {"summary": "Job failed to complete.", "description": "Job batch/nightly-report-29071 failed to complete. Removing the failed job after investigation should clear this alert."},
         -22 * HOUR),
        (L("CertificateExpiringSoon", "warning", "integrations", "partner-gateway",
           certificate="freightco-api-client", secret="freightco-api-tls"),
         {"summary": "Certificate freightco-api-client expires in 11 days.",
          "description": "The mTLS client certificate for the FreightCo API expires 2026-05-18T07:00:00Z (threshold 14d).",
          "runbook_url": f"{rb}/certificate-expiry.md"},
         -20 * HOUR),
        (L("TargetDown", "warning", "dev", "dev-exporter", job="dev-exporter"),
         {"summary": "One or more targets are unreachable.", "description": "100% of the dev-exporter/dev-exporter targets in dev namespace are down."},
         -23 * HOUR),
        (L("KubePodCrashLooping", "warning", "ml", "feature-store-sync", pod="feature-store-sync-7c9f6-x2k8q", container="sync"),
         {"summary": "Pod is crash looping.", "description": "Pod ml/feature-store-sync-7c9f6-x2k8q (sync) is in waiting state (reason: CrashLoopBackOff)."},
         -21 * HOUR),
    ]
    for labels, ann, at in chronic:
        # Alertmanager repeats a firing alert every 4 hours (repeat_interval), and once more
        # after the on-call's shift handover at 02:12.
        # The annotations are templates re-evaluated on every send ("active for N h").
        for t in list(range(at, 0, 4 * HOUR)) + [2 * MIN]:
            hours = (t - at) // HOUR
            tl.fire(t, labels, dict(ann, active=f"active for {hours}h"))

    # --- noise 4: silenced staging alerts with the same names as the real ones ------------------
    for at, name, svc, summ in [
        (-40 * MIN, "OpenSearchHeapUsageHigh", "opensearch", "JVM heap above 90% on opensearch-data-0 (staging)"),
        (-38 * MIN, "SearchApiHigh5xxRate", "search-api", "search-api 5xx above 2% (staging)"),
    ]:
        tl.fire(at, L(name, "critical", "search-staging", svc),
                {"summary": summ, "description": "Silenced by ops (silence 77aa10c2, until 06:00): k6 soak test LT-204 on staging."},
                silenced=True)

    # --- noise 5: a one-off quota warning in analytics ----------------------------------------
    quota = L("KubeQuotaAlmostFull", "info", "analytics", "spark-history", resourcequota="analytics-quota", resource="requests.memory")
    tl.fire(5 * MIN, quota, {"summary": "Namespace quota is going to be full.", "description": "Namespace analytics is using 92% of its requests.memory quota."})

    # --- the real incident: the nightly reindex fills the OpenSearch heap --------------------------
    # 02:15 reindex starts (+5m), heap climbs, breakers trip from 02:19; stopped at 02:40 (+30m).
    data_nodes = [f"opensearch-data-{i}" for i in range(3)]
    real = []  # (fire_at, resolve_at, labels, annotations)
    for i, pod in enumerate(data_nodes):
        real.append((9 * MIN + i * 20, 36 * MIN + i * 40,
                     L("OpenSearchHeapUsageHigh", "critical", "search", "opensearch", pod=pod),
                     {"summary": f"JVM heap above 90% on {pod}",
                      "description": f"{pod} JVM heap at {93 + i}% for 2 minutes; old-gen collections are not freeing memory.",
                      "runbook_url": f"{rb}/search-heap-pressure.md"}))
        real.append((10 * MIN + i * 25, 35 * MIN + i * 30,
                     L("OpenSearchJvmGcSlow", "warning", "search", "opensearch", pod=pod),
                     {"summary": f"Long GC pauses on {pod}",
                      "description": f"{pod} spent more than 20% of the last 5 minutes in old-generation GC."}))
    real.append((11 * MIN, 34 * MIN,
                 L("OpenSearchCircuitBreakerTripped", "critical", "search", "opensearch", breaker="fielddata"),
                 {"summary": "fielddata circuit breaker tripping",
                  "description": "The fielddata circuit breaker tripped 412 times in 5 minutes: queries that aggregate on text fields are rejected.",
                  "runbook_url": f"{rb}/search-heap-pressure.md"}))
    for i in range(4):
        pod = f"search-api-6d5b8c7f9-{['a1b2c', 'd3e4f', 'g5h6j', 'k7l8m'][i]}"
        real.append((12 * MIN + i * 15, 33 * MIN + i * 20,
                     L("SearchApiHigh5xxRate", "critical", "search", "search-api", pod=pod),
                     {"summary": "search-api 5xx ratio above 2%",
                      "description": f"{pod}: 7% of search requests returned 5xx over 5m (opensearch: circuit_breaking_exception).",
                      "runbook_url": f"{rb}/search-heap-pressure.md"}))
    real.append((12 * MIN + 30, 34 * MIN,
                 L("SearchApiLatencyHigh", "warning", "search", "search-api"),
                 {"summary": "search-api p99 above 1.5s", "description": "search-api p99 latency 4.2s over 5m."}))
    for route in ["/search", "/search/suggest"]:
        real.append((13 * MIN + (30 if route == "/search" else 50), 35 * MIN,
                     L("FrontendRoute5xx", "critical", "web", "frontend", route=route, upstream="search-api"),
                     {"summary": f"gateway 5xx on {route}",
                      "description": f"4% of responses on {route} were 5xx over 5m (upstream search-api)."}))
    real.append((15 * MIN, 36 * MIN,
                 L("RecommendationsUpstreamTimeouts", "warning", "web", "recommendations", upstream="search-api"),
                 {"summary": "recommendations: search-api calls time out",
                  "description": "12% of calls from recommendations to search-api timed out (2s) over 5m."}))
    real.append((16 * MIN, 40 * MIN,
                 L("SLOErrorBudgetBurnFast", "critical", "search", "search-api", slo="search-availability"),
                 {"summary": "search-availability burns its error budget fast",
                  "description": "1h and 5m burn rates above 14.4x for search-availability."}))
    for fire_at, resolve_at, labels, ann in real:
        tl.fire(fire_at, labels, ann)
        tl.resolve(resolve_at, labels)
    # A re-send of the heap alert while it fires (Alertmanager repeats).
    tl.fire(20 * MIN, real[0][2], real[0][3])

    # --- what the responders did -------------------------------------------------------------
    tl.decide(14 * MIN, "kai", "oncall", "hypothesis",
              text="Heap above 90% on all three data nodes and the fielddata breaker tripping since 02:21. search-api 5xx follow. Did the search-api deploy change the queries?")
    tl.decide(15 * MIN, "kai", "oncall", "approve", step="search-heap-pressure/cluster-health")
    tl.decide(15 * MIN + 30, "kai", "oncall", "execute", step="search-heap-pressure/cluster-health",
              outcome="status yellow, 3 data nodes heap 93-96%, fielddata 14.2 GB (limit 40% = 12.8 GB), 0 unassigned shards.")
    tl.decide(17 * MIN, "kai", "oncall", "approve", step="search-heap-pressure/search-api-rollouts")
    tl.decide(17 * MIN + 30, "kai", "oncall", "execute", step="search-heap-pressure/search-api-rollouts",
              outcome="search-api revision 41 since yesterday 16:12; nothing rolled out tonight.")
    tl.decide(18 * MIN, "kai", "oncall", "note", text="Deploy lead disproven: no search-api rollout since yesterday afternoon.")
    tl.decide(19 * MIN, "ros", "commander", "note",
              text="Ros is IC. Governor in FREEZE (search-availability 1h and 5m burn above 14.4x): pre-audited mitigations only, approved by me. The disk, HPA, batch and cert alerts are the usual night noise; leave them.")
    tl.decide(21 * MIN, "kai", "oncall", "approve", step="search-heap-pressure/running-tasks")
    tl.decide(21 * MIN + 30, "kai", "oncall", "execute", step="search-heap-pressure/running-tasks",
              outcome="task indices:data/write/reindex catalog-v7 -> catalog-v8 running since 02:15:03 (search-indexer nightly); catalog-v8 maps facets as nested text fields with fielddata: true.")
    tl.decide(23 * MIN, "ros", "commander", "reject", step="search-heap-pressure/restart-data-nodes",
              text="No. A rolling restart under heap pressure relocates shards onto the two nodes left and makes it worse. Stop the load first.")
    tl.decide(24 * MIN, "kai", "oncall", "hypothesis",
              text="Root cause: tonight's reindex into catalog-v8 (nested facets with fielddata) fills the heap; every facet query then trips the breaker. Stopping the reindex should free the fielddata.")
    tl.decide(27 * MIN, "kai", "oncall", "approve", step="search-heap-pressure/stop-reindex")
    tl.decide(28 * MIN, "ros", "commander", "approve", step="search-heap-pressure/stop-reindex",
              text="Approved: stop the catalog-v8 reindex; it can run again once the mapping is fixed.")
    tl.decide(30 * MIN, "kai", "oncall", "execute", step="search-heap-pressure/stop-reindex",
              outcome="job search-indexer-catalog-29071 deleted, reindex task cancelled; fielddata evicted to 3.1 GB by 02:43.")
    tl.decide(45 * MIN, "ros", "commander", "note",
              text="Recovering: heap 61-66%, breaker quiet, search-api 5xx 0.02%. Follow-up: the catalog-v8 mapping (keyword facets, no fielddata) and a heap guard on the reindex job.")

    # --- SLIs ----------------------------------------------------------------------------------
    avail_incident = [(10.5, 0.0), (11.5, 0.05), (12.5, 0.14), (29.5, 0.16), (31, 0.04), (33, 0.003), (35, 0.0)]
    slow_incident = [(9.5, 0.0), (11, 0.08), (13, 0.22), (29.5, 0.25), (31, 0.08), (33, 0.01), (35, 0.0)]
    series = {
        "search-availability": samples("search-availability", 220.0, 0.0004, avail_incident, duration, "sa",
                                       [(-12 * DAY, -12 * DAY + 50 * MIN, 0.05)]),
        "search-latency": samples("search-latency", 220.0, 0.004, slow_incident, duration, "sl",
                                  [(-5 * DAY, -5 * DAY + 3 * HOUR, 0.06)]),
    }
    slos = [
        {"name": "search-availability", "service": "search-api", "objective": 0.999, "window": "30d",
         "description": "Share of search requests (gateway /search*) answered without a 5xx"},
        {"name": "search-latency", "service": "search-api", "objective": 0.99, "window": "30d",
         "description": "Share of search requests answered in under 300 ms"},
    ]
    meta = {
        "header": "Training scenario (a): a noisy night with one real incident.",
        "id": "noisy-storm-search-heap",
        "title": "a night of alert noise hides an OpenSearch heap exhaustion",
        "summary": """
Thursday 2026-05-07, prod-us-2, 02:10 UTC. The usual night noise is loud: three node disks flap,
the image resizer's autoscaler is pinned at max, a failed batch job, a dev exporter, a crash
looping ML sync and a partner certificate have been alerting for most of the day, and two staging
alerts (silenced: a soak test) carry the same names as tonight's real ones. At 02:15 the nightly
reindex into catalog-v8 starts with a new mapping that puts facets in nested text fields with
fielddata; by 02:19 the OpenSearch data nodes are above 90% heap, the fielddata breaker trips,
search-api returns 5xx, and the gateway's /search routes and recommendations follow. The
governor freezes on search-availability. The responders (kai on call, ros as incident
commander) rule out a search-api deploy, refuse a rolling restart of the data nodes and stop the
reindex at 02:40; search recovers within minutes.
""",
        "start_dt": start,
        "duration": duration,
        "knowledge": ["runbooks", "postmortems", "../../demo/runbooks"],
        "topology": {"frontend": ["search-api", "recommendations"], "recommendations": ["search-api"],
                     "search-api": ["opensearch"], "search-indexer": ["opensearch"], "opensearch": []},
    }
    return render(meta, slos, series, tl)


# =============================================================================================
# (b) a novel failure no runbook covers
# =============================================================================================

def novel_clock_step() -> str:
    start = datetime(2026, 6, 18, 9, 40, tzinfo=timezone.utc)
    duration = 60 * MIN
    tl = Timeline()
    prod = "prod-eu-2"
    rb = "https://runbooks.internal.example"

    def L(alertname, severity, namespace, service, **extra):
        d = {"alertname": alertname, "severity": severity, "cluster": prod,
             "namespace": namespace, "service": service}
        d.update(extra)
        return d

    # Known noise, matched by the demo's runbooks: not novel.
    cert = L("CertificateExpiringSoon", "warning", "integrations", "partner-gateway",
             certificate="parcelhub-api-client", secret="parcelhub-api-tls")
    tl.fire(-19 * HOUR, cert, {"summary": "Certificate parcelhub-api-client expires in 12 days.",
                               "description": "The mTLS client certificate for the ParcelHub API expires in 12d (threshold 14d).",
                               "runbook_url": f"{rb}/certificate-expiry.md"})
    disk = L("NodeFilesystemSpaceFillingUp", "warning", "monitoring", "node-exporter",
             instance="10.70.2.44:9100", node="ip-10-70-2-44.eu-central-1.compute.internal",
             device="/dev/nvme1n1", mountpoint="/var/lib/containerd", fstype="xfs")
    tl.fire(4 * MIN, disk, {"summary": "Filesystem is predicted to run out of space within the next 24 hours.",
                            "description": "Filesystem on /dev/nvme1n1 at 10.70.2.44:9100 has only 13% available space left.",
                            "runbook_url": f"{rb}/node-filesystem-space.md"})
    tl.resolve(19 * MIN, disk)

    # 09:46 a new NTP source (ntp2.internal, misconfigured 47 s behind) is rolled to the ledger
    # node pool; chrony steps the clock back on three nodes at 09:47.
    nodes = ["ip-10-70-9-11", "ip-10-70-9-23", "ip-10-70-9-37"]
    novel = []
    for i, n in enumerate(nodes):
        node = f"{n}.eu-central-1.compute.internal"
        novel.append((7 * MIN + i * 20, 41 * MIN + i * 30,
                      L("ChronyClockStepped", "warning", "kube-system", "chrony", node=node),
                      {"summary": f"chrony stepped the system clock on {n}",
                       "description": f"chronyd on {n} made a -47.2 s step after selecting source ntp2.internal (stratum 3); tracking offset was +47.2 s."}))
        novel.append((8 * MIN + i * 25, 40 * MIN + i * 30,
                      L("LedgerHlcRegression", "critical", "ledger", "ledger", node=node, pod=f"ledger-5f7d9-{i}"),
                      {"summary": f"ledger-5f7d9-{i}: hybrid logical clock regression",
                       "description": f"ledger-5f7d9-{i} on {n} saw its wall clock 47 s behind the last committed HLC timestamp; it refuses to commit until the clock catches up."}))
    novel.append((9 * MIN, 39 * MIN,
                  L("LedgerCommitRejections", "critical", "ledger", "ledger"),
                  {"summary": "ledger rejects commits",
                   "description": "31% of ledger commits were rejected with HLC_REGRESSION over 5m."}))
    novel.append((11 * MIN, 42 * MIN,
                  L("SettlementBatchesOutOfOrder", "warning", "ledger", "settlement"),
                  {"summary": "settlement sees out-of-order ledger batches",
                   "description": "settlement consumer received 214 ledger batches with decreasing sequence stamps in 10 minutes; reconciliation paused."}))
    for fire_at, resolve_at, labels, ann in novel:
        tl.fire(fire_at, labels, ann)
        tl.resolve(resolve_at, labels)

    tl.decide(13 * MIN, "nia", "oncall", "hypothesis",
              text="Ledger refuses commits with HLC_REGRESSION only on pods of the ledger node pool, and chrony stepped those nodes' clocks at 09:47. Did a time source change?")
    tl.decide(15 * MIN, "nia", "oncall", "note",
              text="No runbook or past incident matches (human judgment). By hand: chronyc sources on ip-10-70-9-11 shows ntp2.internal selected since 09:46, 47 s behind ntp1 and the cloud's time service.")
    tl.decide(17 * MIN, "omar", "commander", "note",
              text="Omar is IC. Governor in FREEZE; nothing to approve for this cluster, we act by hand and record it here. Freeze ledger deploys.")
    tl.decide(19 * MIN, "nia", "oncall", "hypothesis",
              text="Could the ledger database be behind (replication lag) instead? Checking before touching the nodes.")
    tl.decide(21 * MIN, "nia", "oncall", "note",
              text="Replication lag 0.2 s on ledger-db: not it. False lead closed.")
    tl.decide(24 * MIN, "omar", "commander", "note",
              text="Done by hand: reverted the chrony config rollout (ntp2.internal removed) and cordoned the three nodes; ledger pods rescheduled to the other pool at 10:06.")
    tl.decide(33 * MIN, "nia", "oncall", "note",
              text="Commits accepted again since 10:11; settlement reconciliation resumed. Follow-ups: a clock-offset alert on NTP sources before rollout, and a runbook for HLC regressions.")

    avail_incident = [(8.5, 0.0), (9.5, 0.12), (11, 0.30), (25, 0.30), (27, 0.12), (30, 0.02), (31.5, 0.0)]
    series = {
        "ledger-commit-success": samples("ledger-commit-success", 90.0, 0.00003, avail_incident, duration, "lc",
                                         [(-9 * DAY, -9 * DAY + 20 * MIN, 0.01)]),
    }
    slos = [{"name": "ledger-commit-success", "service": "ledger", "objective": 0.9995, "window": "30d",
             "description": "Share of ledger commits accepted"}]
    meta = {
        "header": "Training scenario (b): a novel failure no runbook covers.",
        "id": "novel-ledger-clock-step",
        "title": "chrony steps three ledger nodes back in time",
        "summary": """
Thursday 2026-06-18, prod-eu-2, 09:40 UTC. At 09:46 a config rollout adds a new internal NTP
source, ntp2.internal, to the ledger node pool; it is 47 s behind. chrony selects it and steps
the clock back on three nodes at 09:47. The ledger's hybrid logical clock refuses to commit while
the wall clock is behind the last committed timestamp; a third of commits are rejected and
settlement sees batches out of order. No runbook and no past incident covers this: the cockpit
flags the cluster "human judgment" and suggests nothing. The responders (nia on call, omar as
incident commander) find the time source by hand, rule out database lag, revert the chrony
rollout and cordon the nodes; commits recover at 10:11.
""",
        "start_dt": start,
        "duration": duration,
        "knowledge": ["../../demo/runbooks", "../../demo/postmortems"],
        "topology": {"settlement": ["ledger"], "ledger": ["ledger-db"], "ledger-db": []},
    }
    return render(meta, slos, series, tl)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    outputs = {HERE / "noisy-storm" / "scenario.yaml": noisy_storm(),
               HERE / "novel-clock-step" / "scenario.yaml": novel_clock_step()}
    status = 0
    for path, text in outputs.items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                print(f"{path} is out of date: rerun {Path(__file__).name}", file=sys.stderr)
                status = 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(HERE.parent.parent)} ({len(text.splitlines())} lines)")
    return status


if __name__ == "__main__":
    sys.exit(main())
