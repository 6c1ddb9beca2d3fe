-- A runner state file as tasseograph wrote it at schema version 3 (before findings had a
-- lifecycle): its tables, and a host with a critical DIMM error that is still alerting.
-- tests/runner/test_runner_migration.py opens it with today's code (and cuts it to version 2).
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cursors (
  source TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated REAL NOT NULL,
  PRIMARY KEY (source, key));
CREATE TABLE deltas (
  id INTEGER PRIMARY KEY AUTOINCREMENT, host TEXT NOT NULL, source TEXT NOT NULL,
  ref TEXT NOT NULL, data BLOB NOT NULL, created REAL NOT NULL, due REAL NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL DEFAULT 0, last_error TEXT,
  interim INTEGER NOT NULL DEFAULT 0);
CREATE INDEX deltas_due ON deltas (due, next_try);
CREATE TABLE verdicts (
  delta_id INTEGER PRIMARY KEY, host TEXT NOT NULL, ref TEXT NOT NULL, checked REAL NOT NULL,
  status TEXT NOT NULL, model TEXT NOT NULL, fallback TEXT, cost_usd REAL NOT NULL,
  verdict TEXT NOT NULL);
CREATE INDEX verdicts_host ON verdicts (host, checked);
CREATE INDEX verdicts_checked ON verdicts (checked);
CREATE TABLE findings (
  id INTEGER PRIMARY KEY AUTOINCREMENT, delta_id INTEGER NOT NULL, host TEXT NOT NULL,
  checked REAL NOT NULL, severity TEXT NOT NULL, category TEXT NOT NULL, summary TEXT NOT NULL,
  evidence TEXT NOT NULL, source TEXT NOT NULL, signal_id TEXT, count INTEGER NOT NULL);
CREATE INDEX findings_host ON findings (host, checked);
CREATE INDEX findings_checked ON findings (checked);
CREATE TABLE hosts (
  host TEXT PRIMARY KEY, last_check REAL, last_status TEXT, last_anomaly REAL);
CREATE TABLE counters (
  name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL, PRIMARY KEY (name, labels));
CREATE TABLE spend (day TEXT PRIMARY KEY, usd REAL NOT NULL, calls INTEGER NOT NULL);
CREATE TABLE alerts (
  fingerprint TEXT PRIMARY KEY, labels TEXT NOT NULL, annotations TEXT NOT NULL,
  state TEXT NOT NULL, starts_at REAL NOT NULL, ends_at REAL, last_seen REAL NOT NULL,
  clean_checks INTEGER NOT NULL DEFAULT 0, last_post REAL NOT NULL DEFAULT 0,
  episode INTEGER NOT NULL DEFAULT 1);
CREATE TABLE alert_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, fingerprint TEXT NOT NULL, state TEXT NOT NULL,
  starts_at REAL NOT NULL, ends_at REAL);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, host TEXT NOT NULL,
  source TEXT NOT NULL, kind TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE baseline_hosts (
  host TEXT PRIMARY KEY, ok_deltas INTEGER NOT NULL, updated REAL NOT NULL);
CREATE TABLE baseline_templates (
  host TEXT NOT NULL, template TEXT NOT NULL, lines INTEGER NOT NULL, deltas INTEGER NOT NULL,
  first_seen REAL NOT NULL, last_seen REAL NOT NULL, poisoned INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (host, template));
-- version 3 from here
CREATE TABLE delta_origins (
  delta_id INTEGER NOT NULL, source TEXT NOT NULL, origin TEXT NOT NULL,
  PRIMARY KEY (delta_id, source, origin));
CREATE INDEX delta_origins_origin ON delta_origins (source, origin);
CREATE TRIGGER delta_origins_done AFTER DELETE ON deltas
  BEGIN DELETE FROM delta_origins WHERE delta_id = old.id; END;
-- rows
INSERT INTO meta VALUES ('schema_version', '3'), ('last_run', '1796600900.0');
INSERT INTO verdicts VALUES
 (1, 'db-17', 'db-17/0001.log:0-160', 1796600000.0, 'critical', 'rules', NULL, 0.0, '{"status":"critical","host":"db-17","model":"rules"}'),
 (2, 'db-17', 'db-17/0002.log:0-262', 1796600300.0, 'critical', 'rules', NULL, 0.0, '{"status":"critical","host":"db-17","model":"rules"}'),
 (3, 'web-3', 'web-3/0001.log:0-58', 1796600300.0, 'ok', 'rules', NULL, 0.0, '{"status":"ok","host":"web-3","model":"rules"}');
INSERT INTO findings (delta_id, host, checked, severity, category, summary, evidence, source, signal_id, count) VALUES
 (1, 'db-17', 1796600000.0, 'critical', 'memory', 'EDAC uncorrected memory error (MC0 DIMM CPU_SrcID#0_Ha#0_Chan#1_DIMM#0)', '[ 9021.554012] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x3f2a1 offset:0x0 grain:32 syndrome:0x0)', 'signal', 'edac.ue', 1),
 (2, 'db-17', 1796600300.0, 'critical', 'memory', 'EDAC uncorrected memory error (MC0 DIMM CPU_SrcID#0_Ha#0_Chan#1_DIMM#0)', '[ 9321.101276] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x1b007 offset:0x0 grain:32 syndrome:0x0)', 'signal', 'edac.ue', 1),
 (2, 'db-17', 1796600300.0, 'warning', 'thermal', 'CPU thermal throttling (CPU 3)', '[ 9330.000120] CPU3: Core temperature above threshold, cpu clock throttled (total events = 12)', 'signal', 'thermal.throttle', 1);
INSERT INTO hosts VALUES ('db-17', 1796600300.0, 'critical', 1796600300.0), ('web-3', 1796600300.0, 'ok', NULL);
INSERT INTO counters VALUES
 ('dmesg_llm_issues_total', '{"category":"memory","host":"db-17","severity":"critical"}', 2.0),
 ('dmesg_llm_alerts_total', '{"alertname":"DmesgHardwareIssue","severity":"critical"}', 1.0);
INSERT INTO alerts VALUES
 ('9a1c0e5d33f0aa21', '{"alertname":"DmesgHardwareIssue","category":"memory","host":"db-17","severity":"critical"}',
  '{"summary":"db-17: memory critical: EDAC uncorrected memory error","description":"EDAC MC0: 1 UE"}',
  'firing', 1796600000.0, NULL, 1796600300.0, 0, 1796600300.0, 1),
 ('0b7e22d1c4a96f10', '{"alertname":"DmesgHardwareIssue","category":"thermal","host":"db-17","severity":"warning"}',
  '{"summary":"db-17: thermal warning"}', 'resolved', 1796590000.0, 1796590600.0, 1796590000.0, 3, 1796590600.0, 1);
