-- A schema-4 state file as tasseograph at main b77cd6d wrote it (sqlite3 iterdump): one run --once of
-- the rules model over a critical EDAC line on web1 and a USB line on db2 (Alertmanager unreachable, so
-- the alert waits in the outbox), then one more delta queued for web1.
BEGIN TRANSACTION;
CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, fingerprint TEXT NOT NULL, state TEXT NOT NULL,
  starts_at REAL NOT NULL, ends_at REAL);
INSERT INTO "alert_outbox" VALUES(1,'02fbb51447242818','firing',1796600000.0,NULL);
CREATE TABLE alerts (
  fingerprint TEXT PRIMARY KEY, labels TEXT NOT NULL, annotations TEXT NOT NULL,
  state TEXT NOT NULL, starts_at REAL NOT NULL, ends_at REAL, last_seen REAL NOT NULL,
  clean_checks INTEGER NOT NULL DEFAULT 0, last_post REAL NOT NULL DEFAULT 0,
  episode INTEGER NOT NULL DEFAULT 1);
INSERT INTO "alerts" VALUES('02fbb51447242818','{"alertname":"DmesgHardwareIssue","category":"memory","finding_id":"dec9243aecb7","host":"web1","mc":"MC0","severity":"critical"}','{"summary": "web1: memory critical: EDAC uncorrected memory error (MC0)", "description": "[ 812.204311] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0", "finding": "dec9243aecb7 edac.ue MC0: active, seen 1x since 2026-12-06T23:33:20.000Z, regressions 0", "source": "signal"}','firing',1796600000.0,NULL,1796600000.0,0,0.0,1);
CREATE TABLE baseline_hosts (
  host TEXT PRIMARY KEY, ok_deltas INTEGER NOT NULL, updated REAL NOT NULL);
CREATE TABLE baseline_templates (
  host TEXT NOT NULL, template TEXT NOT NULL, lines INTEGER NOT NULL, deltas INTEGER NOT NULL,
  first_seen REAL NOT NULL, last_seen REAL NOT NULL, poisoned INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (host, template));
CREATE TABLE counters (
  name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (name, labels));
INSERT INTO "counters" VALUES('dmesg_llm_checks_total','{"host":"db2","status":"ok"}',1.0);
INSERT INTO "counters" VALUES('dmesg_llm_skipped_calls_total','{"reason":"only known-boring lines"}',1.0);
INSERT INTO "counters" VALUES('dmesg_llm_issues_total','{"category":"memory","host":"web1","severity":"critical"}',1.0);
INSERT INTO "counters" VALUES('dmesg_llm_checks_total','{"host":"web1","status":"critical"}',1.0);
INSERT INTO "counters" VALUES('dmesg_llm_finding_transitions_total','{"action":"opened"}',1.0);
INSERT INTO "counters" VALUES('dmesg_llm_alerts_total','{"alertname":"DmesgHardwareIssue","severity":"critical"}',1.0);
INSERT INTO "counters" VALUES('dmesg_llm_alert_post_errors_total','{}',1.0);
CREATE TABLE cursors (
  source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated REAL NOT NULL,
  PRIMARY KEY (source, key));
INSERT INTO "cursors" VALUES('spool','db2/65024:3336704','{"offset": 73, "head_len": 73, "head": "54a0e44873df9ae5", "name": "0001.log"}',1796600000.0);
INSERT INTO "cursors" VALUES('spool','web1/65024:3336703','{"offset": 81, "head_len": 81, "head": "ac96705f204793f7", "name": "0001.log"}',1796600000.0);
CREATE TABLE delta_origins (
  delta_id INTEGER NOT NULL, source TEXT NOT NULL, origin TEXT NOT NULL,
  PRIMARY KEY (delta_id, source, origin));
INSERT INTO "delta_origins" VALUES(3,'spool','web1/2049:77');
CREATE TABLE deltas (
  id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, source TEXT NOT NULL,
  ref TEXT NOT NULL, data BLOB NOT NULL, created REAL NOT NULL, due REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL DEFAULT 0, last_error TEXT,
  interim INTEGER NOT NULL DEFAULT 0);
INSERT INTO "deltas" VALUES(3,'web1','spool','web1/0002.log:0-80',X'5B203930302E3030303030315D206E766D65206E766D65303A20492F4F2031322051494420332074696D656F75742C2061626F7274696E670A',1796600050.0,1796600100.0,0,0.0,NULL,0);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, host TEXT NOT NULL,
  source TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE finding_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, finding_id TEXT, suppression_id INTEGER,
  actor TEXT NOT NULL, action TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL,
  note TEXT NOT NULL);
INSERT INTO "finding_events" VALUES(1,1796600000.0,'dec9243aecb7',NULL,'tasseograph','opened','','active','critical: EDAC uncorrected memory error (MC0)');
CREATE TABLE finding_links (
  finding_id TEXT NOT NULL, delta_id INTEGER NOT NULL, at REAL NOT NULL, severity TEXT NOT NULL,
  interim INTEGER NOT NULL, PRIMARY KEY (finding_id, delta_id));
INSERT INTO "finding_links" VALUES('dec9243aecb7',2,1796600000.0,'critical',0);
CREATE TABLE findings (
  id TEXT PRIMARY KEY, host TEXT NOT NULL, category TEXT NOT NULL, signal TEXT NOT NULL,
  fingerprint TEXT NOT NULL, device TEXT NOT NULL, source TEXT NOT NULL, summary TEXT NOT NULL,
  severity TEXT NOT NULL, max_severity TEXT NOT NULL, state TEXT NOT NULL, state_since REAL NOT NULL,
  first_seen REAL NOT NULL, last_seen REAL NOT NULL, times_seen INTEGER NOT NULL,
  occurrences INTEGER NOT NULL, regressions INTEGER NOT NULL, quieted_severity TEXT,
  snoozed_until REAL, dismiss_reason TEXT, remind_at REAL, resolved_reason TEXT,
  judgement TEXT NOT NULL, judged_at REAL NOT NULL, clean_checks INTEGER NOT NULL,
  samples TEXT NOT NULL, labels TEXT NOT NULL, members TEXT NOT NULL, details TEXT NOT NULL,
  alert_fp TEXT, updated REAL NOT NULL);
INSERT INTO "findings" VALUES('dec9243aecb7','web1','memory','edac.ue','','{"mc":"MC0"}','signal','EDAC uncorrected memory error (MC0)','critical','critical','active',1796600000.0,1796600000.0,1796600000.0,1,1,0,NULL,NULL,NULL,NULL,NULL,'present',1796600000.0,0,'[{"at":1796600000.0,"evidence":"[ 812.204311] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0","ref":"web1/0001.log:0-81","severity":"critical","summary":"EDAC uncorrected memory error (MC0)"}]','{}','[]','{}','02fbb51447242818',1796600000.0);
CREATE TABLE hosts (
  host TEXT PRIMARY KEY, last_check REAL, last_status TEXT, last_anomaly REAL);
INSERT INTO "hosts" VALUES('db2',1796600000.0,'ok',NULL);
INSERT INTO "hosts" VALUES('web1',1796600000.0,'critical',1796600000.0);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('schema_version','4');
INSERT INTO "meta" VALUES('last_run','1796600000.0');
CREATE TABLE sightings (
  id INTEGER PRIMARY KEY AUTOINCREMENT, delta_id INTEGER NOT NULL, host TEXT NOT NULL,
  checked REAL NOT NULL, severity TEXT NOT NULL, category TEXT NOT NULL, summary TEXT NOT NULL,
  evidence TEXT NOT NULL, source TEXT NOT NULL, signal_id TEXT, count INTEGER NOT NULL,
  device TEXT NOT NULL DEFAULT '{}');
INSERT INTO "sightings" VALUES(1,2,'web1',1796600000.0,'critical','memory','EDAC uncorrected memory error (MC0)','[ 812.204311] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0','signal','edac.ue',1,'{"mc": "MC0"}');
CREATE TABLE spend (day TEXT PRIMARY KEY, usd REAL NOT NULL, calls INTEGER NOT NULL);
CREATE TABLE suppressions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, signal TEXT NOT NULL, reason TEXT NOT NULL,
  created_by TEXT NOT NULL, created REAL NOT NULL, until REAL, removed REAL, removed_by TEXT);
CREATE TABLE verdicts (
  delta_id INTEGER PRIMARY KEY, host TEXT NOT NULL, ref TEXT NOT NULL, checked REAL NOT NULL,
  status TEXT NOT NULL, model TEXT NOT NULL, fallback TEXT, cost_usd REAL NOT NULL,
  verdict TEXT NOT NULL);
INSERT INTO "verdicts" VALUES(1,'db2','db2/0001.log:0-73',1796600000.0,'ok','rules',NULL,0.0,'{"status":"ok","findings":[],"host":"db2","model":"rules","prompt":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0},"cost_usd":0.0,"latency_s":0.0,"skipped":true,"skip_reason":"only known-boring lines","suppressed":[],"escalated":false,"model_error":null,"compression":{"lines_in":1,"lines_out":0,"tokens_before":0,"tokens_after":0,"truncated":false},"novel":[],"degraded":false}');
INSERT INTO "verdicts" VALUES(2,'web1','web1/0001.log:0-81',1796600000.0,'critical','rules',NULL,0.0,'{"status":"critical","findings":[{"severity":"critical","category":"memory","summary":"EDAC uncorrected memory error (MC0)","evidence":"[ 812.204311] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0","source":"signal","signal_id":"edac.ue","count":1,"host":"web1","normalized":false,"device":{"mc":"MC0"},"first_seen":{"lineno":1,"time":null,"monotonic":812.204311},"last_seen":{"lineno":1,"time":null,"monotonic":812.204311}}],"host":"web1","model":"rules","prompt":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_read_tokens":0,"cache_write_tokens":0},"cost_usd":0.0,"latency_s":0.00012250299914740026,"skipped":false,"skip_reason":null,"suppressed":[],"escalated":false,"model_error":null,"compression":{"lines_in":1,"lines_out":0,"tokens_before":0,"tokens_after":0,"truncated":false},"novel":[],"degraded":false}');
CREATE INDEX deltas_due ON deltas (due, next_try);
CREATE INDEX verdicts_host ON verdicts (host, checked);
CREATE INDEX verdicts_checked ON verdicts (checked);
CREATE INDEX sightings_host ON sightings (host, checked);
CREATE INDEX sightings_checked ON sightings (checked);
CREATE INDEX findings_host_state ON findings (host, state);
CREATE INDEX findings_state ON findings (state, last_seen);
CREATE INDEX finding_links_at ON finding_links (at);
CREATE INDEX finding_events_finding ON finding_events (finding_id, at);
CREATE INDEX finding_events_at ON finding_events (at);
CREATE INDEX delta_origins_origin ON delta_origins (source, origin);
CREATE TRIGGER delta_origins_done AFTER DELETE ON deltas
  BEGIN DELETE FROM delta_origins WHERE delta_id = old.id; END;
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('deltas',3);
INSERT INTO "sqlite_sequence" VALUES('sightings',1);
INSERT INTO "sqlite_sequence" VALUES('finding_events',1);
INSERT INTO "sqlite_sequence" VALUES('alert_outbox',1);
COMMIT;
