-- Live updates (docs/decisions/0018-live-updates.md): a change to a record the console shows is announced
-- on channel `live_changes` for the web process, which tells the browsers of the people who may see it.
-- The payload names the record only (table kind, id, organization, and a job's state): never its
-- contents, and far below NOTIFY's 8000 bytes. A NOTIFY is delivered at commit, and identical ones of
-- one transaction are delivered once. Updates that change nothing the console shows (a node's last
-- report, its heartbeat time within the same minute, an instance's "tools last read at", any
-- updated_at) announce nothing, so a fleet's heartbeats do not become a storm.
-- One function for the records that carry their own organization: the trigger's arguments name the kind,
-- the columns whose change alone is not announced, and the timestamps among those announced when they
-- reach a new minute (a node's last heartbeat: "last seen" stays true to the minute, at most one
-- announcement a minute per node whatever the heartbeat interval). Lists are comma-separated.
CREATE FUNCTION live_record_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  kind text := TG_ARGV[0];
  ignored text[] := string_to_array(TG_ARGV[1], ',');
  by_minute text[] := string_to_array(coalesce(TG_ARGV[2], ''), ',');
  old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
  new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
  r jsonb := coalesce(new_row, old_row);
  previous text;
BEGIN
  IF TG_OP = 'UPDATE' AND (old_row - ignored) = (new_row - ignored) AND NOT EXISTS (
    SELECT 1 FROM unnest(by_minute) c
    WHERE date_trunc('minute', (old_row->>c)::timestamptz) IS DISTINCT FROM date_trunc('minute', (new_row->>c)::timestamptz)
  ) THEN
    RETURN NULL;
  END IF;
  -- A job's state, and the state it left, so a page (the Approvals count) can tell whether it concerns it.
  IF kind = 'job' AND TG_OP = 'UPDATE' AND old_row->>'state' IS DISTINCT FROM new_row->>'state' THEN previous := old_row->>'state'; END IF;
  PERFORM pg_notify('live_changes', json_build_object('t', kind, 'id', r->>'id', 'o', r->>'organization_id',
    's', CASE WHEN kind = 'job' THEN r->>'state' END, 'p', previous)::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER jobs_live AFTER INSERT OR UPDATE OR DELETE ON jobs FOR EACH ROW EXECUTE FUNCTION live_record_notify('job', 'updated_at');
--> statement-breakpoint
CREATE TRIGGER nodes_live AFTER INSERT OR UPDATE OR DELETE ON nodes FOR EACH ROW EXECUTE FUNCTION live_record_notify('node', 'updated_at,last_seen_at,last_report', 'last_seen_at');
--> statement-breakpoint
CREATE TRIGGER instances_live AFTER INSERT OR UPDATE OR DELETE ON instances FOR EACH ROW EXECUTE FUNCTION live_record_notify('instance', 'updated_at,reported_tools_at');
--> statement-breakpoint
-- Who belongs to an approver group decides whose Approvals inbox a waiting job is in.
CREATE FUNCTION live_approver_group_members_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r approver_group_members;
  org uuid;
BEGIN
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  SELECT organization_id INTO org FROM approver_groups WHERE id = r.group_id;
  -- The group itself is being removed (its members go by cascade): nothing is left to show.
  IF org IS NULL THEN RETURN NULL; END IF;
  PERFORM pg_notify('live_changes', json_build_object('t', 'approver_group', 'id', r.group_id, 'o', org)::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER approver_group_members_live AFTER INSERT OR UPDATE OR DELETE ON approver_group_members FOR EACH ROW EXECUTE FUNCTION live_approver_group_members_notify();
