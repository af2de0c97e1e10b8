DROP INDEX "jobs_node_idx";--> statement-breakpoint
DROP INDEX "jobs_state_idx";--> statement-breakpoint
DROP INDEX "jobs_org_created_idx";--> statement-breakpoint
CREATE INDEX "jobs_created_idx" ON "jobs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "jobs_node_created_idx" ON "jobs" USING btree ("node_id","created_at","id");--> statement-breakpoint
CREATE INDEX "jobs_state_created_idx" ON "jobs" USING btree ("state","created_at","id");--> statement-breakpoint
CREATE INDEX "nodes_created_idx" ON "nodes" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "nodes_org_created_idx" ON "nodes" USING btree ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "jobs_org_created_idx" ON "jobs" USING btree ("organization_id","created_at","id");