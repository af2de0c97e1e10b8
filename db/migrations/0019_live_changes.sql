-- Live updates (docs/decisions/0018-live-updates.md): a change to a record the console shows is announced
-- on channel `live_changes` for the web process, which tells the browsers of the people who may see it.
-- The payload names the record only (table kind, id, organization, and a job's state): never its
-- contents, and far below NOTIFY's 8000 bytes. A NOTIFY is delivered at commit, and identical ones of
-- one transaction are delivered once. Updates that change nothing the console shows (a node's heartbeat
-- time and last report, an instance's "tools last read at", any updated_at) announce nothing, so a
-- fleet's heartbeats do not become a storm.
CREATE FUNCTION live_changed_columns(old_row jsonb, new_row jsonb, ignored text[]) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT (old_row - ignored) IS DISTINCT FROM (new_row - ignored)
$$;
--> statement-breakpoint
CREATE FUNCTION live_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r jobs;
  previous text;
BEGIN
  IF TG_OP = 'UPDATE' AND NOT live_changed_columns(to_jsonb(OLD), to_jsonb(NEW), ARRAY['updated_at']) THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  -- The state it left, so a page (the Approvals count) can tell whether the change concerns it.
  IF TG_OP = 'UPDATE' AND OLD.state IS DISTINCT FROM NEW.state THEN previous := OLD.state; END IF;
  PERFORM pg_notify('live_changes', json_build_object('t', 'job', 'id', r.id, 'o', r.organization_id, 's', r.state, 'p', previous)::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER jobs_live AFTER INSERT OR UPDATE OR DELETE ON jobs FOR EACH ROW EXECUTE FUNCTION live_jobs_notify();
--> statement-breakpoint
CREATE FUNCTION live_nodes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r nodes;
BEGIN
  IF TG_OP = 'UPDATE' AND NOT live_changed_columns(to_jsonb(OLD), to_jsonb(NEW), ARRAY['updated_at', 'last_seen_at', 'last_report']) THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM pg_notify('live_changes', json_build_object('t', 'node', 'id', r.id, 'o', r.organization_id)::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER nodes_live AFTER INSERT OR UPDATE OR DELETE ON nodes FOR EACH ROW EXECUTE FUNCTION live_nodes_notify();
--> statement-breakpoint
CREATE FUNCTION live_instances_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE r instances;
BEGIN
  IF TG_OP = 'UPDATE' AND NOT live_changed_columns(to_jsonb(OLD), to_jsonb(NEW), ARRAY['updated_at', 'reported_tools_at']) THEN RETURN NULL; END IF;
  IF TG_OP = 'DELETE' THEN r := OLD; ELSE r := NEW; END IF;
  PERFORM pg_notify('live_changes', json_build_object('t', 'instance', 'id', r.id, 'o', r.organization_id)::text);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER instances_live AFTER INSERT OR UPDATE OR DELETE ON instances FOR EACH ROW EXECUTE FUNCTION live_instances_notify();
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
